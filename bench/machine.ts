import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One line naming the machine the numbers came from. */
const describeMachine = (): string => {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    model = /model name\s*:\s*(.+)/.exec(info)?.[1] ?? model;
  } catch {
    // not Linux
  }
  return `${model}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, ${process.platform}-${process.arch}`;
};

export { describeMachine };
