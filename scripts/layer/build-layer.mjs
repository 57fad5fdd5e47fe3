#!/usr/bin/env node
// Builds the Lambda layer for one architecture:
//
//   npm run build:layer -- --arch arm64|x86_64 [--without-wasm]
//
// writes dist/layer/<arch>/ (the tree exactly as Lambda unpacks it at /opt)
// and dist/layer/<arch>.zip:
//
//   nodejs/node_modules/tflite-serverless-native/  the addon + libtensorflowlite_c.so (rpath $ORIGIN)
//   nodejs/node_modules/sharp, @img/sharp-linux-<arch>, @img/sharp-libvips-linux-<arch> (+ their deps)
//   nodejs/node_modules/@litertjs/core/            the WASM fallback, one wasm variant (compat)
//   lib/libtfls_cpu_sysfs.so                       the sysfs shim (see layers/sysfs-shim)
//   tfls-exec-wrapper                              AWS_LAMBDA_EXEC_WRAPPER script that preloads it
//
// The bundled handlers mark these external and find them through Lambda's
// NODE_PATH (/opt/nodejs/node_modules).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { zipSync } from 'fflate';
import { ARCHES, layerDir, normalizeArch } from './arches.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const fail = (message) => {
  console.error(`build:layer: ${message}`);
  process.exit(1);
};

const { values } = parseArgs({
  options: { arch: { type: 'string' }, 'without-wasm': { type: 'boolean', default: false } },
});
const arch = normalizeArch(values.arch ?? process.arch);
if (!arch) fail(`--arch must be one of ${Object.keys(ARCHES).join(', ')} (got ${JSON.stringify(values.arch)})`);
const target = ARCHES[arch];
const out = layerDir(root, arch);
rmSync(out, { recursive: true, force: true });
rmSync(`${out}.zip`, { force: true });
const modules = join(out, 'nodejs', 'node_modules');
mkdirSync(modules, { recursive: true });

const run = (command, args, options = {}) => {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  } catch (error) {
    fail(`${command} failed (${error.message})${options.hint ? `; ${options.hint}` : ''}`);
  }
};

// 1. The native addon and libtensorflowlite_c.so, side by side.
const native = join(modules, 'tflite-serverless-native');
run(process.execPath, [join(root, 'layers/native/build.mjs'), '--arch', target.node, '--out', native]);
writeFileSync(
  join(native, 'package.json'),
  `${JSON.stringify(
    {
      name: 'tflite-serverless-native',
      version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
      description: 'TFLite C API (2.9, XNNPACK) Node-API addon for tflite-serverless',
      main: 'tflite_native.node',
      license: 'Apache-2.0',
      os: ['linux'],
      cpu: [target.node],
    },
    null,
    2,
  )}\n`,
);

// 2. sharp with libvips for the target, as npm resolves it for that platform.
const sharpVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies.sharp;
const staging = mkdtempSync(join(tmpdir(), 'tfls-layer-'));
writeFileSync(join(staging, 'package.json'), '{"private":true}\n');
run(
  'npm',
  [
    'install',
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--omit=dev',
    '--os=linux',
    `--cpu=${target.node}`,
    '--libc=glibc',
    `sharp@${sharpVersion}`,
  ],
  { cwd: staging, hint: 'the npm registry must be reachable to fetch sharp for the target architecture' },
);
cpSync(join(staging, 'node_modules'), modules, { recursive: true });
rmSync(staging, { recursive: true, force: true });
// npm's bookkeeping and command links (symlinks): nothing a handler loads.
rmSync(join(modules, '.bin'), { recursive: true, force: true });
rmSync(join(modules, '.package-lock.json'), { force: true });
for (const name of readdirSync(join(modules, '@img'))) {
  if (/^sharp-(libvips-)?(darwin|win32|linuxmusl|wasm32|freebsd)/.test(name) || /linux-(?!x64|arm64)/.test(name))
    rmSync(join(modules, '@img', name), { recursive: true });
}

// 3. LiteRT.js, the WASM fallback for ops TFLite 2.9 lacks: the compat build
// only (every Node runs it; the relaxed-SIMD build would add 9 MB).
if (!values['without-wasm']) {
  const litert = dirname(require.resolve('@litertjs/core/package.json'));
  const dest = join(modules, '@litertjs', 'core');
  mkdirSync(join(dest, 'wasm'), { recursive: true });
  for (const file of ['package.json', 'LICENSE', 'README.md'])
    try {
      copyFileSync(join(litert, file), join(dest, file));
    } catch {
      // Optional files.
    }
  cpSync(join(litert, 'dist'), join(dest, 'dist'), { recursive: true });
  for (const file of ['litert_wasm_compat_internal.js', 'litert_wasm_compat_internal.wasm'])
    copyFileSync(join(litert, 'wasm', file), join(dest, 'wasm', file));
}

// 4. The sysfs shim and the exec wrapper that preloads it.
mkdirSync(join(out, 'lib'), { recursive: true });
run(
  target.cc,
  [
    '-O2',
    '-shared',
    '-fPIC',
    '-fvisibility=hidden',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-s',
    '-o',
    join(out, 'lib', 'libtfls_cpu_sysfs.so'),
    join(root, 'layers/sysfs-shim/cpu_sysfs_shim.c'),
    '-ldl',
  ],
  { hint: target.ccHint },
);
copyFileSync(join(root, 'layers/exec-wrapper.sh'), join(out, 'tfls-exec-wrapper'));
chmodSync(join(out, 'tfls-exec-wrapper'), 0o755);

// 5. The zip, with Unix modes so that the wrapper stays executable.
const files = {};
let bytes = 0;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else {
      const mode = statSync(path).mode & 0o777;
      const data = readFileSync(path);
      bytes += data.length;
      files[relative(out, path)] = [data, { os: 3, attrs: (0o100000 | mode) << 16, mtime: new Date('2020-01-01') }];
    }
  }
};
walk(out);
const zip = zipSync(files, { level: 9 });
writeFileSync(`${out}.zip`, zip);
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(
  `built ${relative(root, out)} (${Object.keys(files).length} files, ${mb(bytes)} unzipped) and ${relative(root, out)}.zip (${mb(zip.length)})`,
);
