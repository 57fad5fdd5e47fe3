import { unzipSync } from 'fflate';
import { CheckedByteBuffer } from './CheckedByteBuffer.js';
import {
  type AssociatedFileT,
  AssociatedFileType,
  ModelMetadata,
  type ModelMetadataT,
  NormalizationOptionsT,
} from './generated/metadata_schema_generated.js';
import { bufferBytes } from './modelBuffers.js';
import type { TfliteFile } from './readModel.js';

/** What TFLite Metadata (the TFLITE_METADATA buffer, schema M001) says that a server can use. */
interface MetadataSummary {
  readonly name: string | null;
  /** The first input's NormalizationOptions: (x - mean) / std on 0..255 pixels. */
  readonly normalization: { readonly mean: number[]; readonly std: number[] } | null;
  /** Lines of the first TENSOR_AXIS_LABELS file, read from the zip appended to the model. */
  readonly labels: string[] | null;
}

const METADATA_NAME = 'TFLITE_METADATA';
/** A flatbuffer string field, which the object API gives as a string or as bytes. */
const flatText = (value: string | Uint8Array | null): string | null =>
  value === null ? null : typeof value === 'string' ? value : new TextDecoder().decode(value);

const parseMetadata = (bytes: Uint8Array): ModelMetadataT | null => {
  try {
    if (String.fromCharCode(...bytes.subarray(4, 8)) !== 'M001') return null;
    return ModelMetadata.getRootAsModelMetadata(new CheckedByteBuffer(bytes, bytes.length * 8 + 100_000)).unpack();
  } catch {
    return null;
  }
};

const labelsFrom = (files: readonly AssociatedFileT[], trailer: Uint8Array): string[] | null => {
  const labelFile = files.find((file) => file.type === AssociatedFileType.TENSOR_AXIS_LABELS);
  const name = labelFile ? flatText(labelFile.name) : null;
  if (!name || trailer.length === 0) return null;
  try {
    const entry = unzipSync(trailer, { filter: (file) => file.name === name })[name];
    if (!entry) return null;
    const lines = new TextDecoder().decode(entry).split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } catch {
    return null;
  }
};

/** The model's metadata, or null when it has none (or none that parses). */
const readMetadata = (file: TfliteFile): MetadataSummary | null => {
  const entry = file.model.metadata.find((m) => m.name === METADATA_NAME);
  if (!entry) return null;
  const metadata = parseMetadata(bufferBytes(file.model.buffers[entry.buffer]));
  if (!metadata) return null;
  const subgraph = metadata.subgraphMetadata[0];
  const normalization = subgraph?.inputTensorMetadata[0]?.processUnits.find(
    (unit) => unit.options instanceof NormalizationOptionsT,
  )?.options as NormalizationOptionsT | undefined;
  const files = [
    ...(subgraph?.outputTensorMetadata.flatMap((t) => t.associatedFiles) ?? []),
    ...(subgraph?.associatedFiles ?? []),
    ...metadata.associatedFiles,
  ];
  return {
    name: flatText(metadata.name),
    normalization: normalization ? { mean: [...normalization.mean], std: [...normalization.std] } : null,
    labels: labelsFrom(files, file.trailer),
  };
};

export type { MetadataSummary };
export { flatText, METADATA_NAME, readMetadata };
