import { BuiltinOperator, type OperatorCode } from './generated/reader/schema_generated.js';

const CUSTOM = BuiltinOperator.CUSTOM;
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;
const MAX_BUILTIN = Math.max(
  ...Object.values(BuiltinOperator).filter((value): value is number => typeof value === 'number'),
);

/** An operator code's fields, as the object API holds them (OperatorCodeT) and readCode reads them. */
interface OpCode {
  builtinCode: number;
  deprecatedBuiltinCode: number;
  version: number;
  customCode: string | Uint8Array | null;
}

/** An operator code read through the accessors, in the object API's shape. */
const readCode = (code: OperatorCode): OpCode => ({
  builtinCode: code.builtinCode(),
  deprecatedBuiltinCode: code.deprecatedBuiltinCode(),
  version: code.version(),
  customCode: code.customCode(),
});

/** The op's builtin code: schema 3a moved codes above 127 to a wider field (schema_utils.cc). */
const builtinCode = (code: Pick<OpCode, 'builtinCode' | 'deprecatedBuiltinCode'>): number =>
  Math.max(code.builtinCode, code.deprecatedBuiltinCode);

/** CONV_2D, or the custom op's own name. */
const opName = (code: Pick<OpCode, 'builtinCode' | 'deprecatedBuiltinCode' | 'customCode'>): string => {
  const builtin = builtinCode(code);
  if (builtin === CUSTOM) return String(code.customCode ?? 'CUSTOM');
  return BuiltinOperator[builtin] ?? `BUILTIN_${builtin}`;
};

/** Fills both code fields as the converter does, so v3 readers still work. */
const setBuiltinCode = (code: OpCode, builtin: number): void => {
  code.builtinCode = builtin;
  code.deprecatedBuiltinCode = Math.min(builtin, PLACEHOLDER_FOR_GREATER_OP_CODES);
};

export type { OpCode };
export { builtinCode, CUSTOM, MAX_BUILTIN, opName, readCode, setBuiltinCode };
