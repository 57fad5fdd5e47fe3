import type { ChildMessage, RunMessage } from './protocol.js';

/**
 * The child side of runIsolated: waits for the input, runs `task` with a
 * `stage` callback (reported to the parent, which names it if the child
 * dies), sends the answer or the error's name, message and own fields, and
 * exits. Call it from a module that runIsolated starts.
 */
const serveTask = (task: (input: never, stage: (name: string) => void) => Promise<unknown>): void => {
  const send = (message: ChildMessage): Promise<void> =>
    new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
  process.once('message', async (message: RunMessage) => {
    try {
      const result = await task(message.input as never, (stage) => void send({ kind: 'stage', stage }));
      await send({ kind: 'result', result });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      const fields = Object.fromEntries(
        Object.entries(failure).filter(([, value]) => {
          try {
            structuredClone(value);
            return true;
          } catch {
            return false;
          }
        }),
      );
      await send({ kind: 'error', name: failure.name, message: failure.message, fields });
    }
    process.disconnect();
  });
};

export { serveTask };
