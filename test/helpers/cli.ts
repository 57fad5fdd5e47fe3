import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

class Capture extends Writable {
  public text = '';
  public isTTY = false;
  public override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs the CLI in-process; returns its exit code and what it wrote. */
const runCli = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
};

export { Capture, runCli };
