/**
 * A one-line progress bar on stderr when it is a terminal; nothing when
 * piped, so logs and JSON consumers see only results.
 */
interface Progress {
  update(step: string, fraction: number): void;
  done(): void;
}

const WIDTH = 24;

const progressBar = (stream: NodeJS.WritableStream & { isTTY?: boolean }): Progress => {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = '';
  return {
    update(step, fraction) {
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.round(fraction * 100)}% ${step}`;
      if (line !== last) stream.write(`\r\x1b[2K${line}`);
      last = line;
    },
    done() {
      if (last) stream.write('\r\x1b[2K');
    },
  };
};

export type { Progress };
export { progressBar };
