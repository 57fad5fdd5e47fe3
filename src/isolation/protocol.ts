/** What the parent sends a task's child: the task's input, once. */
interface RunMessage {
  readonly kind: 'run';
  readonly input: unknown;
}

/** What a task's child sends back: where it is, then its answer or its error. */
type ChildMessage =
  | { readonly kind: 'stage'; readonly stage: string }
  | { readonly kind: 'result'; readonly result: unknown }
  | {
      readonly kind: 'error';
      readonly name: string;
      readonly message: string;
      readonly fields: Readonly<Record<string, unknown>>;
    };

export type { ChildMessage, RunMessage };
