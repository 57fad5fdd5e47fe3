// The layer's architectures, named as Lambda names them (arm64, x86_64).
import { join } from 'node:path';

const ARCHES = {
  arm64: {
    node: 'arm64',
    cc: process.arch === 'arm64' ? 'gcc' : 'aarch64-linux-gnu-gcc',
    ccHint: 'install the cross compiler: apt-get install g++-aarch64-linux-gnu',
    elfMachine: 183, // EM_AARCH64
    elfName: 'AArch64',
  },
  x86_64: {
    node: 'x64',
    cc: process.arch === 'x64' ? 'gcc' : 'x86_64-linux-gnu-gcc',
    ccHint: 'install a C compiler: apt-get install gcc',
    elfMachine: 62, // EM_X86_64
    elfName: 'x86-64',
  },
};

/** arm64 | x86_64 from Lambda's or Node's spelling, or undefined. */
const normalizeArch = (arch) =>
  ({ arm64: 'arm64', aarch64: 'arm64', x86_64: 'x86_64', x64: 'x86_64', amd64: 'x86_64' })[arch];

const layerDir = (root, arch) => join(root, 'dist', 'layer', arch);

export { ARCHES, layerDir, normalizeArch };
