import type { ByteBuffer } from 'flatbuffers';
import { OPTION_FIELDS, OPTION2_FIELDS } from './generated/reader/option_fields_generated.js';
import {
  BuiltinOptions,
  type BuiltinOptions2,
  Conv2DOptions,
  Conv3DOptions,
  DepthwiseConv2DOptions,
  type Operator,
  Pool2DOptions,
  TransposeConvOptions,
} from './generated/reader/schema_generated.js';
import type { OptionEnumField, OptionFields } from './optionFields.js';

// Window parameters: TFLite 2.9's kernels divide by strides and trust them
// (a negative stride crashes CONV_2D); no real model goes near the bound.
const MAX_WINDOW = 1 << 16;

interface OptionsTable {
  __init(offset: number, bb: unknown): OptionsTable;
}

/**
 * The builtin options whose window parameters TFLite trusts. A test derives
 * this list from the schema, so a new such table cannot be missed.
 */
const WINDOW_OPTIONS: ReadonlyMap<
  BuiltinOptions,
  { readonly table: () => OptionsTable; readonly fields: readonly string[] }
> = new Map([
  [
    BuiltinOptions.Conv2DOptions,
    { table: () => new Conv2DOptions(), fields: ['strideW', 'strideH', 'dilationWFactor', 'dilationHFactor'] },
  ],
  [
    BuiltinOptions.DepthwiseConv2DOptions,
    {
      table: () => new DepthwiseConv2DOptions(),
      fields: ['strideW', 'strideH', 'dilationWFactor', 'dilationHFactor'],
    },
  ],
  [
    BuiltinOptions.Pool2DOptions,
    { table: () => new Pool2DOptions(), fields: ['strideW', 'strideH', 'filterWidth', 'filterHeight'] },
  ],
  [BuiltinOptions.TransposeConvOptions, { table: () => new TransposeConvOptions(), fields: ['strideW', 'strideH'] }],
  [
    BuiltinOptions.Conv3DOptions,
    {
      table: () => new Conv3DOptions(),
      fields: ['strideD', 'strideW', 'strideH', 'dilationDFactor', 'dilationWFactor', 'dilationHFactor'],
    },
  ],
]);

/** Any table, positioned by a union accessor: the generated field list says where its fields are. */
interface AnyTable {
  bb: ByteBuffer | null;
  bb_pos: number;
}

/** A subgraph an operator runs: which field names it, and the index. */
interface SubgraphCall {
  readonly field: string;
  readonly subgraph: number;
}

const enumNames = (values: OptionEnumField['values']): string =>
  Object.keys(values)
    .filter((key) => typeof values[key] === 'number')
    .join(', ');

/** The values an enum field (or vector of them) holds; none when the table leaves it at its default. */
const enumValues = (table: AnyTable, field: OptionEnumField): number[] => {
  const bb = table.bb!;
  const offset = bb.__offset(table.bb_pos, field.slot);
  if (!offset) return [];
  const read = (at: number): number => bb[field.read](at);
  if (field.element === undefined) return [read(table.bb_pos + offset)];
  const start = bb.__vector(table.bb_pos + offset);
  return Array.from({ length: bb.__vector_len(table.bb_pos + offset) }, (_, i) => read(start + i * field.element!));
};

/** One union's table of the op: its enums checked, the subgraphs it names returned. */
const checkFields = (
  table: AnyTable | null,
  fields: OptionFields | undefined,
  fail: (problem: string) => never,
): SubgraphCall[] => {
  if (!table || !fields) return [];
  for (const field of fields.enums) {
    for (const value of enumValues(table, field)) {
      if (typeof field.values[value] !== 'string')
        fail(`has ${field.name} ${value}, which is not one of ${enumNames(field.values)}`);
    }
  }
  return fields.subgraphs.map((field) => {
    const offset = table.bb!.__offset(table.bb_pos, field.slot);
    return { field: field.name, subgraph: offset ? table.bb!.readInt32(table.bb_pos + offset) : 0 };
  });
};

/**
 * The op's builtin options as TFLite will trust them: every enum field one
 * of its declared values (TFLite 2.9 maps an unknown padding to "unknown"
 * and computes a zero-sized output it then writes past), window parameters
 * within bounds. Returns the subgraphs the op names (IF, WHILE, CALL_ONCE,
 * the StableHLO control flow), for the call-graph check.
 */
const checkOptions = (op: Operator, fail: (problem: string) => never): SubgraphCall[] => {
  const type = op.builtinOptionsType();
  const window = WINDOW_OPTIONS.get(type);
  if (window) {
    const options = op.builtinOptions(window.table()) as unknown as Record<string, () => number> | null;
    for (const key of options ? window.fields : []) {
      const value = options![key]!.call(options);
      if (value < 1 || value > MAX_WINDOW) fail(`has ${key} ${value}`);
    }
  }
  const table = (): AnyTable => ({ bb: null, bb_pos: 0 });
  return [
    ...checkFields(op.builtinOptions(table()) as AnyTable | null, OPTION_FIELDS.get(type), fail),
    ...checkFields(
      op.builtinOptions2(table()) as AnyTable | null,
      OPTION2_FIELDS.get(op.builtinOptions2Type() as BuiltinOptions2),
      fail,
    ),
  ];
};

export type { SubgraphCall };
export { checkOptions, WINDOW_OPTIONS };
