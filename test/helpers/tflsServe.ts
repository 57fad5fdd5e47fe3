import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/**
 * `tfls serve` in its own process, as `npm start` runs it, on a free
 * loopback port: resolves once it prints its URL. The environment adds to
 * this process's.
 */
const startTflsServe = async (env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> => {
  const child = spawn(process.execPath, [join(root, 'bin/tfls.js'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /(http:\/\/[^\s]+)/.exec(chunk.toString());
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`tfls serve exited with ${code}`)));
  });
  return { url, child };
};

export { startTflsServe };
