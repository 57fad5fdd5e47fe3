/**
 * A flatbuffer vector read through its accessors into an array: `length`
 * from the `xLength()` accessor, each element from `x(i)`, which cannot be
 * null inside that length.
 */
const vectorOf = <T>(length: number, at: (index: number) => T | null): T[] => Array.from({ length }, (_, i) => at(i)!);

export { vectorOf };
