import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

/** Unpacks a layer zip as Lambda does: into a directory that becomes /opt, with the files' Unix modes. */
const unpackLayer = (zip: string, into: string): void => {
  const entries = unzipSync(new Uint8Array(readFileSync(zip)));
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    const path = join(into, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
  // fflate's unzip drops modes; the wrapper is the one file that must be executable.
  chmodSync(join(into, 'tfls-exec-wrapper'), 0o755);
};

interface SandboxOptions {
  /** The unpacked layer, mounted at /opt. */
  readonly opt: string;
  /** How to start Node: [node] on the host, [qemu-aarch64-static, -L, sysroot, node] for arm64. */
  readonly node: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Cover /sys/devices/system/cpu with an empty tmpfs, as on Lambda arm64 (possible/present missing). */
  readonly hideCpuSysfs: boolean;
  /** Start Node through /opt/tfls-exec-wrapper, as Lambda does with AWS_LAMBDA_EXEC_WRAPPER. */
  readonly wrapper: boolean;
  readonly args: readonly string[];
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs a command in a private mount namespace (unshare -m) where the layer
 * is at /opt, optionally with /sys/devices/system/cpu hidden; the host's
 * mounts are untouched.
 */
const runInSandbox = (options: SandboxOptions): { status: number | null; stdout: string; stderr: string } => {
  const steps = [
    'set -e',
    'mkdir -p /opt',
    `mount --bind ${quote(options.opt)} /opt`,
    ...(options.hideCpuSysfs ? ['mount -t tmpfs -o size=1m tmpfs /sys/devices/system/cpu'] : []),
    `exec ${[...(options.wrapper ? ['/opt/tfls-exec-wrapper'] : []), ...options.node, ...options.args].map(quote).join(' ')}`,
  ];
  const result = spawnSync('unshare', ['-m', 'sh', '-c', steps.join('\n')], {
    env: options.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 600_000,
  });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
};

export type { SandboxOptions };
export { runInSandbox, unpackLayer };
