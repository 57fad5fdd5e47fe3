import { afterEach, describe, expect, it } from 'vitest';
import { toFloat16 } from '../../src/compress/toFloat16.js';
import type { ModelPool } from '../../src/engine/ModelPool.js';
import { getBinding, type RawModelInfo } from '../../src/engine/native/binding.js';
import type { NativeModel } from '../../src/engine/native/NativeModel.js';
import type { Model } from '../../src/engine/types.js';
import {
  ActivationFunctionType,
  BuiltinOperator,
  BuiltinOptions,
  FullyConnectedOptionsT,
} from '../../src/tflite/generated/schema_generated.js';
import { readModel } from '../../src/tflite/readModel.js';
import { writeModel } from '../../src/tflite/writeModel.js';
import { trackedLoads } from '../helpers/engines.js';
import { floatBytes, graphModel, int8ConvChain } from '../helpers/tinyModels.js';

/**
 * Three int8 convolutions, each multiplying by one: the second writes a
 * tensor of scale 1/512, so its requantization scale is 512, which XNNPACK
 * 2.9 cannot build a runtime for (its range is [2^-32, 256)); the third
 * brings it back to scale 1/128. Worked by hand for an input q: the second
 * saturates q·512 to [-128, 127], the third quarters that and rounds, so
 * every positive input ends as 32 (127 / 4 = 31.75), every negative one as
 * -32, and zero as 0.
 */
const refusedInTheMiddle = int8ConvChain([
  { weightScale: 1, outputScale: 1 },
  { weightScale: 1, outputScale: 1 / 512 },
  { weightScale: 0.5, outputScale: 1 / 128 },
]);
const input = Int8Array.of(1, 2, -3, 0, 5, -1, 127, -128, 0, 0, 0, 0, 3, 3, 3, 3);
const byHand = [32, 32, -32, 0, 32, -32, 32, -32, 0, 0, 0, 0, 32, 32, 32, 32];
const NOTE =
  "XNNPACK left 1 node to TFLite's built-in kernels: CONV_2D #1 (requantization scale 512): " +
  "failed to create XNNPACK runtime; XNNPACK 2.9 needs a convolution's requantization scale (input × weight / output scale) in [2^-32, 256)";

const { load, disposeAll } = trackedLoads();
afterEach(disposeAll);

const values = (model: Model): number[] => Array.from(model.run([input])[0]!.data as Int8Array);

/** The addon's own account of each interpreter created while `act` runs: what it was asked, what it did. */
const recordCreations = async (act: () => Promise<void>): Promise<{ excludeNodes: number[]; info: RawModelInfo }[]> => {
  const binding = getBinding();
  const Original = binding.NativeModel;
  const created: { excludeNodes: number[]; info: RawModelInfo }[] = [];
  binding.NativeModel = class extends Original {
    public constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      created.push({ excludeNodes: args[1].excludeNodes, info: this.info() });
    }
  };
  try {
    await act();
  } finally {
    binding.NativeModel = Original;
  }
  return created;
};

describe('partial delegation: XNNPACK runs what it can build, the built-in kernels the nodes it refuses', () => {
  it('keeps the convolution XNNPACK refuses on the built-in kernels, XNNPACK the other two, and answers as by hand', async () => {
    const model = (await load(refusedInTheMiddle, { engine: 'native', threads: 1 })) as NativeModel;
    expect(model.delegate).toBe('xnnpack');
    expect(model.nodes).toBe(3);
    expect(model.delegatedNodes).toBe(2);
    expect(model.refusedNodes).toEqual([
      { node: 1, op: 'CONV_2D', reason: 'failed to create XNNPACK runtime', requantizationScale: 512 },
    ]);
    expect(model.delegateReason).toBe(NOTE);
    expect(values(model)).toEqual(byHand);

    const builtIn = await load(refusedInTheMiddle, { engine: 'native', threads: 1, xnnpack: false });
    expect(builtIn.delegatedNodes).toBe(0);
    expect(values(builtIn)).toEqual(byHand);
  });

  it('a graph XNNPACK takes whole is created once, with no search and no note', async () => {
    // The same chain at scale 1/128: requantization 128, in XNNPACK's range.
    const taken = int8ConvChain([
      { weightScale: 1, outputScale: 1 },
      { weightScale: 1, outputScale: 1 / 128 },
      { weightScale: 0.5, outputScale: 1 / 64 },
    ]);
    const [created] = await recordCreations(async () => {
      const model = (await load(taken, { engine: 'native', threads: 1 })) as NativeModel;
      expect(model.delegatedNodes).toBe(3);
      expect(model.refusedNodes).toEqual([]);
      expect(model.delegateReason).toBeUndefined();
      // 127 · 2 · (1/128 · 0.5) / (1/64) = 63.5, rounded away from zero.
      expect(values(model)).toEqual(byHand.map((v) => 2 * v));
    });
    expect(created).toMatchObject({ excludeNodes: [], info: { attempts: 1, trials: 0, refusedNodes: [] } });
  });

  it('the search runs once per load: a pool’s later interpreters are told which nodes to keep from XNNPACK', async () => {
    let pool: ModelPool | undefined;
    const created = await recordCreations(async () => {
      pool = (await load(refusedInTheMiddle, { engine: 'native', threads: 1, interpreters: 2 })) as ModelPool;
      // Two runs at once need both interpreters.
      const outputs = await Promise.all([pool.runAsync([input]), pool.runAsync([input])]);
      for (const [output] of outputs) expect(Array.from(output!.data as Int8Array)).toEqual(byHand);
    });
    expect(pool?.interpretersCreated).toBe(2);
    expect(pool?.delegateReason).toBe(NOTE);
    const [first, second] = created;
    // The first: a creation XNNPACK failed, then one that searched (each trial an XNNPACK runtime, no interpreter).
    expect(first).toMatchObject({ excludeNodes: [], info: { attempts: 2, delegatedNodes: 2 } });
    expect(first?.info.trials).toBeGreaterThan(0);
    // The second: created once, with the first's finding.
    expect(second).toMatchObject({ excludeNodes: [1], info: { attempts: 1, trials: 0, delegatedNodes: 2 } });
  });

  it('auto weighs the coverage: 2 of 3 nodes is under 90%, but LiteRT.js refuses the graph whole, so native serves it', async () => {
    const model = await load(refusedInTheMiddle, { threads: 1 });
    expect(model.engine).toBe('native');
    expect(model.engineReason).toMatch(/^native: XNNPACK runs 2 of 3 nodes natively, and LiteRT.js cannot load it \(/);
    expect(model.delegateReason).toBe(NOTE);
    expect(values(model)).toEqual(byHand);
  });

  it('auto keeps native without asking LiteRT.js when XNNPACK still runs at least 90% of the nodes', async () => {
    // Eight convolutions at requantization scale 1 ahead of the two above: 9 of 10 nodes on XNNPACK.
    const chain = int8ConvChain([
      ...Array.from({ length: 8 }, () => ({ weightScale: 1, outputScale: 1 })),
      { weightScale: 1, outputScale: 1 / 512 },
      { weightScale: 0.5, outputScale: 1 / 128 },
    ]);
    const model = await load(chain, { threads: 1 });
    expect(model.engineReason).toBe('native: XNNPACK runs 9 of 10 nodes natively');
    expect(model.delegateReason).toMatch(
      /^XNNPACK left 1 node to TFLite's built-in kernels: CONV_2D #8 \(requantization scale 512\)/,
    );
    expect(values(model)).toEqual(byHand);
  });

  it('counts and keeps nodes of the main subgraph only, though TFLite prepares XNNPACK on every subgraph', async () => {
    // A second subgraph (as control flow bodies are) of four convolutions XNNPACK takes, node #1 among them.
    const model = readModel(refusedInTheMiddle).model;
    const second = readModel(
      int8ConvChain(Array.from({ length: 4 }, () => ({ weightScale: 1, outputScale: 1 }))),
    ).model;
    for (const tensor of second.subgraphs[0]!.tensors) if (tensor.buffer > 0) tensor.buffer += model.buffers.length;
    model.buffers.push(...second.buffers);
    model.subgraphs.push(second.subgraphs[0]!);
    const twoSubgraphs = (await load(writeModel({ model, trailer: new Uint8Array(0) }), {
      engine: 'native',
      threads: 1,
    })) as NativeModel;
    expect(twoSubgraphs.nodes).toBe(3);
    expect(twoSubgraphs.delegatedNodes).toBe(2);
    expect(twoSubgraphs.refusedNodes.map((refused) => refused.node)).toEqual([1]);
    expect(values(twoSubgraphs)).toEqual(byHand);
  });

  it('a node kept from XNNPACK still gets the float16 weights it shares: their DEQUANTIZE is kept from XNNPACK too', async () => {
    // y = a + b, a = x·Wᵀ, b = a·Wᵀ, W stored as float16 behind one DEQUANTIZE that both read. XNNPACK
    // unpacks such weights once at load and writes nothing at run time for the DEQUANTIZE.
    const options = new FullyConnectedOptionsT();
    options.fusedActivationFunction = ActivationFunctionType.NONE;
    const fc = { type: BuiltinOptions.FullyConnectedOptions, value: options };
    const file = readModel(
      graphModel(
        [
          { name: 'x', shape: [1, 64] },
          {
            name: 'W',
            shape: [64, 64],
            data: floatBytes(Array.from({ length: 64 * 64 }, (_, i) => (i % 7) / 8 - 0.4)),
          },
          { name: 'a', shape: [1, 64] },
          { name: 'b', shape: [1, 64] },
          { name: 'y', shape: [1, 64] },
        ],
        [
          { op: BuiltinOperator.FULLY_CONNECTED, inputs: ['x', 'W'], output: 'a', options: fc },
          { op: BuiltinOperator.FULLY_CONNECTED, inputs: ['a', 'W'], output: 'b', options: fc },
          { op: BuiltinOperator.ADD, inputs: ['a', 'b'], output: 'y' },
        ],
      ),
    );
    toFloat16(file.model);
    const ops = file.model.subgraphs[0]!.operators.map((op) => file.model.operatorCodes[op.opcodeIndex]!.builtinCode);
    expect(ops).toEqual([
      BuiltinOperator.DEQUANTIZE,
      BuiltinOperator.FULLY_CONNECTED,
      BuiltinOperator.FULLY_CONNECTED,
      BuiltinOperator.ADD,
    ]);
    const bytes = writeModel(file);
    const x = new Uint8Array(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)).buffer);
    const answer = (excludeNodes: number[], xnnpack = true) => {
      const native = new (getBinding().NativeModel)(bytes, {
        threads: 1,
        xnnpack,
        maxTensorBytes: 2 ** 30,
        quiet: true,
        excludeNodes,
      });
      try {
        return { info: native.info(), y: Array.from(new Float32Array(native.run([x], false)[0]!.data)) };
      } finally {
        native.dispose();
      }
    };
    const builtIn = answer([], false).y;
    expect(builtIn.every(Number.isFinite)).toBe(true);
    // Keeping the first FULLY_CONNECTED (node 1) from XNNPACK keeps the DEQUANTIZE (node 0) with it; the second
    // FULLY_CONNECTED, whose weights are then no constant, stays on the built-in kernels as XNNPACK 2.9 wants.
    const kept = answer([1]);
    expect(kept.info.refusedNodes.map((refused) => refused.node)).toEqual([1, 0]);
    expect(kept.info.refusedNodes[1]!.reason).toBe(
      'it unpacks constant weights for node #1, which is kept from XNNPACK',
    );
    expect(kept.info.delegatedNodes).toBe(1);
    for (const [i, value] of kept.y.entries()) expect(value).toBeCloseTo(builtIn[i]!, 4);
  });
});
