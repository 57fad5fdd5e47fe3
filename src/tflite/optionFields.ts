/**
 * How validateModel reads the fields of a builtin options table without its
 * accessor class; src/tflite/generated/reader/option_fields_generated.ts
 * lists them for every table (scripts/generate-option-fields.ts).
 */
/** A scalar field of an options table: its name, its vtable offset, and how it is read. */
interface OptionField {
  readonly name: string;
  readonly slot: number;
}

/** An enum-typed field (or vector of them), with the enum whose declared values are the valid ones. */
interface OptionEnumField extends OptionField {
  readonly read: 'readInt8' | 'readUint8' | 'readInt16' | 'readUint16' | 'readInt32' | 'readUint32';
  /** Bytes per element when the field is a vector of the enum. */
  readonly element?: number;
  readonly values: Readonly<Record<string, string | number>>;
}

/** The fields of one options table that validation checks: its enums, and the subgraphs it names (int32). */
interface OptionFields {
  readonly enums: readonly OptionEnumField[];
  readonly subgraphs: readonly OptionField[];
}

export type { OptionEnumField, OptionField, OptionFields };
