import { ModelLoadError } from '../../errors.js';
import { BuiltinOperator } from '../../tflite/generated/reader/schema_generated.js';
import { builtinCode, opName } from '../../tflite/opcodes.js';
import type { ModelFile } from '../../tflite/openModel.js';

/**
 * A node the native engine kept from XNNPACK, on TFLite's built-in kernels,
 * because XNNPACK 2.9 refused it (it could not build a runtime for it): the
 * rest of the graph stays on XNNPACK. `node` is the operator's index in the
 * main subgraph.
 */
interface RefusedNode {
  readonly node: number;
  /** CONV_2D, or the custom op's name. */
  readonly op: string;
  /** What XNNPACK said when the node was tried. */
  readonly reason: string;
  /**
   * A QS8 convolution's requantization scale (input × weight / output
   * scale) outside XNNPACK 2.9's range, when that is why: its runtime says
   * only that it failed.
   */
  readonly requantizationScale?: number;
}

/** XNNPACK 2.9's range for a QS8 convolution's requantization scale (xnn_create_convolution2d_nhwc_qs8). */
const REQUANTIZATION = { min: 2 ** -32, max: 256 } as const;
const CONVOLUTIONS = new Set<number>([
  BuiltinOperator.CONV_2D,
  BuiltinOperator.DEPTHWISE_CONV_2D,
  BuiltinOperator.FULLY_CONNECTED,
]);
const LISTED = 12;

/**
 * A convolution's requantization scale outside XNNPACK 2.9's range, if it has
 * one: read from the file to explain a refusal, never to predict one (which
 * nodes to keep from XNNPACK is what XNNPACK answered when they were tried,
 * layers/native/src/observer_delegate.h).
 */
const requantizationOutside = (file: ModelFile, node: number): number | undefined => {
  const subgraph = file.root.subgraphs(0);
  const operator = subgraph?.operators(node);
  const code = operator ? file.operatorCodes[operator.opcodeIndex()] : undefined;
  if (!subgraph || !operator || !code || !CONVOLUTIONS.has(builtinCode(code))) return undefined;
  const scales = (tensorIndex: number | null): Float32Array | null | undefined =>
    tensorIndex !== null && tensorIndex >= 0 ? subgraph.tensors(tensorIndex)?.quantization()?.scaleArray() : undefined;
  const input = scales(operator.inputs(0))?.[0];
  const weights = scales(operator.inputs(1));
  const output = scales(operator.outputs(0))?.[0];
  if (!input || !weights || !output) return undefined;
  return Array.from(weights, (weight) => (input * weight) / output).find(
    (scale) => !(scale >= REQUANTIZATION.min && scale < REQUANTIZATION.max),
  );
};

/** The addon's refusal, with the operator's name and, where the file tells, why. */
const nameRefusal = (file: ModelFile, { node, reason }: { node: number; reason: string }): RefusedNode => {
  const operator = file.root.subgraphs(0)?.operators(node);
  const code = operator ? file.operatorCodes[operator.opcodeIndex()] : undefined;
  const requantizationScale = requantizationOutside(file, node);
  return {
    node,
    op: code ? opName(code) : 'unknown op',
    reason,
    ...(requantizationScale !== undefined && { requantizationScale }),
  };
};

/** One sentence: which nodes were kept from XNNPACK, grouped by what it said, and why when the file tells. */
const refusalNote = (refused: readonly RefusedNode[]): string => {
  const byReason = new Map<string, RefusedNode[]>();
  for (const node of refused) byReason.set(node.reason, [...(byReason.get(node.reason) ?? []), node]);
  const groups = [...byReason].map(([reason, nodes]) => {
    const named = nodes
      .slice(0, LISTED)
      .map(
        (n) =>
          `${n.op} #${n.node}${n.requantizationScale === undefined ? '' : ` (requantization scale ${n.requantizationScale.toPrecision(3)})`}`,
      );
    const more = nodes.length > LISTED ? ` and ${nodes.length - LISTED} more` : '';
    return `${named.join(', ')}${more}: ${reason}`;
  });
  const what = refused.length === 1 ? '1 node' : `${refused.length} nodes`;
  const range = refused.some((n) => n.requantizationScale !== undefined)
    ? "; XNNPACK 2.9 needs a convolution's requantization scale (input × weight / output scale) in [2^-32, 256)"
    : '';
  return `XNNPACK left ${what} to TFLite's built-in kernels: ${groups.join('; ')}${range}`;
};

/** The exclusions handed to the addon, which trusts them: operator indices of the main subgraph, sorted. */
const checkedExclusions = (file: ModelFile, refused: readonly RefusedNode[]): number[] => {
  const count = file.root.subgraphs(0)?.operatorsLength() ?? 0;
  const nodes = refused.map((r) => r.node).sort((a, b) => a - b);
  const bad = nodes.find((node, i) => !Number.isInteger(node) || node < 0 || node >= count || node === nodes[i - 1]);
  if (bad !== undefined)
    throw new ModelLoadError(`node ${bad} cannot be kept from XNNPACK: the main subgraph has ${count} operators`);
  return nodes;
};

export type { RefusedNode };
export { checkedExclusions, nameRefusal, refusalNote };
