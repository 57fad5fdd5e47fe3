// fflate's browser build: the same synchronous functions, without the Node build's import-time
// require of worker_threads (for its async API, unused here), which every cold start paid.
import { unzipSync } from 'fflate/browser';
import { CheckedByteBuffer } from './CheckedByteBuffer.js';
import {
  type AssociatedFile,
  AssociatedFileType,
  ModelMetadata,
  NormalizationOptions,
  ProcessUnitOptions,
} from './generated/reader/metadata_schema_generated.js';
import type { ModelFile } from './openModel.js';
import { vectorOf } from './vectorOf.js';

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

const labelsFrom = (files: readonly AssociatedFile[], trailer: Uint8Array): string[] | null => {
  const labelFile = files.find((file) => file.type() === AssociatedFileType.TENSOR_AXIS_LABELS);
  const name = labelFile?.name() ?? null;
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

const summarize = (bytes: Uint8Array, trailer: Uint8Array): MetadataSummary | null => {
  if (String.fromCharCode(...bytes.subarray(4, 8)) !== 'M001') return null;
  const metadata = ModelMetadata.getRootAsModelMetadata(new CheckedByteBuffer(bytes, bytes.length * 8 + 100_000));
  const subgraph = metadata.subgraphMetadata(0);
  const input = subgraph?.inputTensorMetadata(0);
  const unit = vectorOf(input?.processUnitsLength() ?? 0, (i) => input!.processUnits(i)).find(
    (candidate) => candidate.optionsType() === ProcessUnitOptions.NormalizationOptions,
  );
  const normalization = unit?.options(new NormalizationOptions()) as NormalizationOptions | null | undefined;
  const outputs = vectorOf(subgraph?.outputTensorMetadataLength() ?? 0, (i) => subgraph!.outputTensorMetadata(i));
  const files = [
    ...outputs.flatMap((tensor) => vectorOf(tensor.associatedFilesLength(), (i) => tensor.associatedFiles(i))),
    ...vectorOf(subgraph?.associatedFilesLength() ?? 0, (i) => subgraph!.associatedFiles(i)),
    ...vectorOf(metadata.associatedFilesLength(), (i) => metadata.associatedFiles(i)),
  ];
  return {
    name: metadata.name(),
    normalization: normalization
      ? {
          mean: vectorOf(normalization.meanLength(), (i) => normalization.mean(i)),
          std: vectorOf(normalization.stdLength(), (i) => normalization.std(i)),
        }
      : null,
    labels: labelsFrom(files, trailer),
  };
};

/** The model's metadata, or null when it has none (or none that parses). */
const readMetadata = (file: ModelFile): MetadataSummary | null => {
  const { root } = file;
  const entry = vectorOf(root.metadataLength(), (i) => root.metadata(i)).find((m) => m.name() === METADATA_NAME);
  if (!entry) return null;
  try {
    return summarize(root.buffers(entry.buffer())?.dataArray() ?? new Uint8Array(0), file.trailer);
  } catch {
    return null;
  }
};

export type { MetadataSummary };
export { flatText, METADATA_NAME, readMetadata };
