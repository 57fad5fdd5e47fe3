#!/usr/bin/env node
// Compiles the Node-API addon for one architecture, without node-gyp: the
// headers come from the node-api-headers package, so the same script
// cross-compiles for arm64 and needs no download of Node's headers.
//
//   node layers/native/build.mjs [--arch x64|arm64] [--out DIR] [--sanitize] [--optional]
//
// --optional (what `npm install` runs): where the addon cannot be built (not
// Linux x64/arm64, no C++ compiler), say so on one line and exit 0, as sharp's
// install does: the package still installs, and serves on the WASM engine.
//
// --sanitize builds with AddressSanitizer and UndefinedBehaviorSanitizer (for
// npm run test:sanitize), unstripped, into dist/native-sanitized by default.
//
// Output: DIR/tflite_native.node and DIR/libtensorflowlite_c.so, found by the
// addon through rpath $ORIGIN (the layer keeps them side by side).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: process.arch },
    out: { type: 'string' },
    sanitize: { type: 'boolean', default: false },
    optional: { type: 'boolean', default: false },
  },
});

/** Stops the build: an error, or with --optional one line and success. */
const stop = (why, fix) => {
  if (values.optional) {
    console.log(`tflite native addon: not built (${why}); the WASM engine serves instead. ${fix}`);
    process.exit(0);
  }
  console.error(`tflite native addon: ${why}; ${fix}`);
  process.exit(1);
};
const arch = values.arch === 'aarch64' ? 'arm64' : values.arch === 'x86_64' ? 'x64' : values.arch;
const targets = {
  x64: { compiler: process.arch === 'x64' ? 'g++' : 'x86_64-linux-gnu-g++', ccDeps: 'linux_amd64' },
  arm64: { compiler: process.arch === 'arm64' ? 'g++' : 'aarch64-linux-gnu-g++', ccDeps: 'linux_arm64' },
};
const target = targets[arch];
if (process.platform !== 'linux' || !target) {
  stop(
    `unsupported target ${process.platform}/${arch}`,
    'The native engine is built for Linux x64 and arm64 (Lambda runs those); build it there.',
  );
}

const out = resolve(values.out ?? join(root, 'dist', values.sanitize ? 'native-sanitized' : 'native', `linux-${arch}`));
const tfliteRoot = dirname(require.resolve('tfjs-tflite-node/package.json'));
const libDir = join(tfliteRoot, 'cc_deps', target.ccDeps);
const napiHeaders = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
const addonApi = dirname(require.resolve('node-addon-api/package.json'));
const sources = readdirSync(join(here, 'src'))
  .filter((file) => file.endsWith('.cc'))
  .map((file) => join(here, 'src', file));

mkdirSync(out, { recursive: true });
const args = [
  '-std=c++17',
  '-O2',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wno-unused-parameter',
  '-DNAPI_VERSION=8',
  '-DNAPI_CPP_EXCEPTIONS',
  // An exception that cannot reach JS because a worker thread is being terminated is dropped
  // instead of escaping node-addon-api's callback wrapper into std::terminate (sharp builds so too).
  '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
  '-DNODE_ADDON_API_DISABLE_DEPRECATED',
  `-I${napiHeaders}`,
  `-I${addonApi}`,
  `-I${join(tfliteRoot, 'cc_deps', 'include')}`,
  ...sources,
  `-L${libDir}`,
  '-ltensorflowlite_c',
  ...(values.sanitize
    ? ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer', '-g']
    : [
        // Lambda's Amazon Linux 2023 has an older libstdc++ than the build host.
        // libgcc stays shared: the static unwinder of GCC 12 needs _dl_find_object
        // (glibc 2.35), and every Node process already maps libgcc_s.so.1.
        '-static-libstdc++',
        '-s',
      ]),
  '-Wl,-rpath,$ORIGIN',
  '-Wl,--as-needed',
  '-o',
  // Written beside, then renamed over: a running server keeps the inode it
  // mapped, where writing in place would change its code under it (SIGSEGV).
  `${join(out, 'tflite_native.node')}.${process.pid}.tmp`,
];
try {
  execFileSync(target.compiler, args, { stdio: 'inherit' });
} catch (error) {
  const hint =
    arch === 'arm64' && process.arch !== 'arm64'
      ? 'install the cross compiler: apt-get install g++-aarch64-linux-gnu'
      : 'install a C++ compiler: apt-get install g++';
  rmSync(`${join(out, 'tflite_native.node')}.${process.pid}.tmp`, { force: true });
  stop(`${target.compiler} failed (${error.message.split('\n')[0]})`, `To build it: ${hint}, then npm rebuild.`);
}
renameSync(`${join(out, 'tflite_native.node')}.${process.pid}.tmp`, join(out, 'tflite_native.node'));
const library = join(out, 'libtensorflowlite_c.so');
const same = (() => {
  try {
    return readFileSync(library).equals(readFileSync(join(libDir, 'libtensorflowlite_c.so')));
  } catch {
    return false;
  }
})();
if (!same) {
  copyFileSync(join(libDir, 'libtensorflowlite_c.so'), `${library}.${process.pid}.tmp`);
  renameSync(`${library}.${process.pid}.tmp`, library);
}
console.log(`tflite native addon: built ${join(out, 'tflite_native.node')}`);
