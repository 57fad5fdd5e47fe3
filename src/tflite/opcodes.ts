import { BuiltinOperator, type OperatorCodeT } from './generated/schema_generated.js';

const CUSTOM = BuiltinOperator.CUSTOM;
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;
const MAX_BUILTIN = Math.max(
  ...Object.values(BuiltinOperator).filter((value): value is number => typeof value === 'number'),
);

/** The op's builtin code: schema 3a moved codes above 127 to a wider field (schema_utils.cc). */
const builtinCode = (code: OperatorCodeT): number => Math.max(code.builtinCode, code.deprecatedBuiltinCode);

/** CONV_2D, or the custom op's own name. */
const opName = (code: OperatorCodeT): string => {
  const builtin = builtinCode(code);
  if (builtin === CUSTOM) return String(code.customCode ?? 'CUSTOM');
  return BuiltinOperator[builtin] ?? `BUILTIN_${builtin}`;
};

/** Fills both code fields as the converter does, so v3 readers still work. */
const setBuiltinCode = (code: OperatorCodeT, builtin: number): void => {
  code.builtinCode = builtin;
  code.deprecatedBuiltinCode = Math.min(builtin, PLACEHOLDER_FOR_GREATER_OP_CODES);
};

export { builtinCode, CUSTOM, MAX_BUILTIN, opName, setBuiltinCode };
