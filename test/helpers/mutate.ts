import { seededRandom } from '../../src/engine/syntheticInputs.js';
import type { ModelT } from '../../src/tflite/generated/schema_generated.js';
import { readModel } from '../../src/tflite/readModel.js';
import { writeModel } from '../../src/tflite/writeModel.js';

/**
 * `count` seeded mutations of `bytes`: each changes 1 to 8 bytes. Most bytes
 * of a model are weights, where a change is harmless, so 4 in 5 changes go to
 * the structure (the bytes outside the `dataRanges` of weight buffers).
 */
const mutations = function* (
  bytes: Uint8Array,
  count: number,
  seed: number,
  dataRanges: readonly (readonly [number, number])[] = [],
): Generator<Uint8Array> {
  const random = seededRandom(seed);
  const structural: number[] = [];
  let range = 0;
  const sorted = [...dataRanges].sort((a, b) => a[0] - b[0]);
  for (let p = 0; p < bytes.length; p++) {
    while (range < sorted.length && p >= sorted[range]![1]) range++;
    if (!(range < sorted.length && p >= sorted[range]![0])) structural.push(p);
  }
  for (let i = 0; i < count; i++) {
    const copy = bytes.slice();
    const changes = 1 + Math.floor(random() * 8);
    for (let j = 0; j < changes; j++) {
      const anywhere = structural.length === 0 || random() >= 0.8;
      const position = anywhere
        ? Math.floor(random() * copy.length)
        : structural[Math.floor(random() * structural.length)]!;
      copy[position] = Math.floor(random() * 256);
    }
    yield copy;
  }
};

/**
 * `bytes` with one change made through the object API and written back by
 * the project's writer: a field of a real model set to what a hostile file
 * would hold (`edit` gets the unpacked model).
 */
const mutateModel = (bytes: Uint8Array, edit: (model: ModelT) => void): Uint8Array => {
  const file = readModel(bytes);
  edit(file.model);
  return writeModel(file);
};

/** The builtin options of operator `index` of subgraph 0, to set fields of. */
const optionsOf = (model: ModelT, index: number): Record<string, unknown> =>
  model.subgraphs[0]!.operators[index]!.builtinOptions as unknown as Record<string, unknown>;

export { mutateModel, mutations, optionsOf };
