import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { oneLine } from '../errors.js';
import type { ChildMessage } from './protocol.js';

/** Where to run a task: a module that calls serveTask (src/isolation/serveTask.ts) when started. */
interface IsolatedEntry {
  /** The entry's file: a built .js/.mjs, or a .ts run through tsx (tests, a checkout). */
  readonly file: string | URL;
}

interface IsolationLimits {
  /** The child is killed past this. */
  readonly timeoutMs: number;
  /** The child is killed when its resident memory passes this (checked every 100 ms). */
  readonly memoryBytes: number;
}

/** How an isolated task ended other than with its answer. */
type Containment = 'signal' | 'timeout' | 'memory' | 'exit';

/**
 * The task's process died or was stopped: a crash inside native code, an
 * endless loop, memory without bound. The caller's process is untouched.
 * `stage` is the last one the task reported before it ended.
 */
class IsolatedTaskError extends Error {
  public constructor(
    message: string,
    public readonly containment: Containment,
    public readonly stage: string | undefined,
  ) {
    super(message);
    this.name = 'IsolatedTaskError';
  }
}

/** The error a task threw, rebuilt on this side: its class name, message and own fields. */
class TaskFailure extends Error {
  public constructor(
    message: string,
    public readonly errorName: string,
    public readonly fields: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'TaskFailure';
  }
}

const residentBytes = async (pid: number): Promise<number> => {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    // Gone, or not Linux: the timeout still holds.
    return 0;
  }
};

/**
 * Runs one task in a child Node process, so that whatever the task does to
 * its process (a signal from native code, a loop that never ends, memory it
 * never gives back) ends there. Resolves to the task's answer; rejects with
 * TaskFailure for an error the task threw, IsolatedTaskError when the child
 * died, overran `timeoutMs` or `memoryBytes`.
 */
const runIsolated = <T>(entry: IsolatedEntry, input: unknown, limits: IsolationLimits): Promise<T> => {
  const file = typeof entry.file === 'string' ? entry.file : fileURLToPath(entry.file);
  const child = fork(file, [], {
    serialization: 'advanced',
    execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<T>((resolve, reject) => {
    let stage: string | undefined;
    let stopped: Containment | undefined;
    let settled = false;
    const stop = (why: Containment) => {
      if (stopped || settled) return;
      stopped = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), limits.timeoutMs);
    const watch = setInterval(() => {
      if (child.pid !== undefined)
        void residentBytes(child.pid).then((bytes) => bytes > limits.memoryBytes && stop('memory'));
    }, 100);
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      settle();
    };
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'stage') stage = message.stage;
      else if (message.kind === 'result') finish(() => resolve(message.result as T));
      else if (message.kind === 'error')
        finish(() => reject(new TaskFailure(message.message, message.name, message.fields)));
    });
    child.on('error', (error) => finish(() => reject(error)));
    child.on('exit', (code, signal) => {
      const during = stage === undefined ? '' : ` while ${stage}`;
      const why =
        stopped === 'timeout'
          ? [`did not finish within ${limits.timeoutMs / 1000} s${during}`, 'timeout']
          : stopped === 'memory'
            ? [`used over ${Math.round(limits.memoryBytes / 2 ** 20)} MB${during}`, 'memory']
            : signal
              ? [`was killed by ${signal}${during}`, 'signal']
              : [`exited with code ${code}${during} before it answered`, 'exit'];
      finish(() => reject(new IsolatedTaskError(oneLine(why[0]!), why[1] as Containment, stage)));
    });
    child.send({ kind: 'run', input });
  }).finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
};

export type { Containment, IsolatedEntry, IsolationLimits };
export { IsolatedTaskError, runIsolated, TaskFailure };
