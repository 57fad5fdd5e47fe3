/** One engine under measurement: load once, then run the same inputs repeatedly. */
interface Runner {
  run(): void;
  dispose(): void;
}

interface Peer {
  readonly name: string;
  load(path: string, threads: number, seed: number): Promise<Runner>;
}

export type { Peer, Runner };
