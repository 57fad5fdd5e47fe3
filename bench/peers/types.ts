/** One engine under measurement: load once, then run the same inputs repeatedly. */
interface Runner {
  /** One inference; the ort engine's runs are asynchronous. */
  run(): void | Promise<void>;
  dispose(): void;
}

interface Peer {
  readonly name: string;
  load(path: string, threads: number, seed: number): Promise<Runner>;
}

export type { Peer, Runner };
