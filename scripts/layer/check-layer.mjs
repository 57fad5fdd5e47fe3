#!/usr/bin/env node
// Checks the built layers against what Lambda's nodejs20.x/22.x runtimes
// (Amazon Linux 2023) provide:
//
//   npm run check:layer [-- --arch arm64|x86_64]   (default: every built layer)
//
// - every ELF file is for the layer's architecture;
// - no GLIBC_ symbol version above 2.34 (AL2023's glibc);
// - no GLIBCXX_/CXXABI_ version above AL2023's libstdc++ (GCC 11: 3.4.29 / 1.3.13);
// - prints the unzipped and zipped size (Lambda: 250 MB unzipped for function and layers).
// Reads version needs with readelf (binutils, installed with any compiler).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ARCHES, layerDir, normalizeArch } from './arches.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// GCC_: libgcc_s.so.1, which the addon shares with Node (AL2023's GCC 11 exports up to GCC_7.0.0 on both arches).
const LIMITS = { GLIBC: [2, 34], GLIBCXX: [3, 4, 29], CXXABI: [1, 3, 13], GCC: [7, 0, 0] };
const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;

const { values } = parseArgs({ options: { arch: { type: 'string' } } });
const arches = values.arch
  ? [normalizeArch(values.arch)]
  : Object.keys(ARCHES).filter((a) => existsSync(layerDir(root, a)));
if (arches.length === 0 || arches.includes(undefined)) {
  console.error(
    values.arch
      ? `check:layer: --arch must be arm64 or x86_64 (got ${JSON.stringify(values.arch)})`
      : 'check:layer: no layer built; run npm run build:layer -- --arch arm64 (or x86_64) first',
  );
  process.exit(1);
}

const newer = (version, limit) => {
  for (let i = 0; i < Math.max(version.length, limit.length); i++) {
    const a = version[i] ?? 0;
    const b = limit[i] ?? 0;
    if (a !== b) return a > b;
  }
  return false;
};

/** The symbol versions an ELF file needs (readelf's version-needs section). */
const versionNeeds = (file) => {
  const text = execFileSync('readelf', ['--version-info', '--wide', file], { encoding: 'utf8' });
  const needs = text.split(/Version needs section/)[1] ?? '';
  return [...needs.matchAll(/Name: ([A-Z]+)_([0-9.]+)/g)].map(([, family, version]) => ({
    family,
    version: version.split('.').map(Number),
    label: `${family}_${version}`,
  }));
};

const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );

let failures = 0;
for (const arch of arches) {
  const dir = layerDir(root, arch);
  const { elfMachine, elfName } = ARCHES[arch];
  let bytes = 0;
  let elves = 0;
  const highest = {};
  for (const file of files(dir)) {
    bytes += statSync(file).size;
    const head = readFileSync(file).subarray(0, 20);
    if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) continue;
    elves++;
    const name = relative(dir, file);
    const machine = head.readUInt16LE(18);
    if (machine !== elfMachine) {
      console.error(`  ✗ ${name}: ELF machine ${machine}, not ${elfName} (${elfMachine})`);
      failures++;
    }
    for (const need of versionNeeds(file)) {
      const limit = LIMITS[need.family];
      if (!limit) continue;
      if (!highest[need.family] || newer(need.version, highest[need.family].version)) highest[need.family] = need;
      if (newer(need.version, limit)) {
        console.error(`  ✗ ${name}: needs ${need.label}, above Amazon Linux 2023's ${need.family}_${limit.join('.')}`);
        failures++;
      }
    }
  }
  const zip = `${dir}.zip`;
  const zipped = existsSync(zip) ? `, zip ${(statSync(zip).size / 1024 / 1024).toFixed(1)} MB` : '';
  console.log(
    `${arch}: ${elves} ELF files, all ${elfName}; highest needs ${
      Object.values(highest)
        .map((n) => n.label)
        .join(', ') || 'none'
    }; ${(bytes / 1024 / 1024).toFixed(1)} MB unzipped${zipped} (${((bytes / LAMBDA_UNZIPPED_LIMIT) * 100).toFixed(0)}% of Lambda's 250 MB)`,
  );
}
if (failures > 0) {
  console.error(`check:layer: ${failures} problem(s)`);
  process.exit(1);
}
