// fflate's browser build: the same synchronous functions, without the Node build's import-time
// require of worker_threads (for its async API, unused here), which every cold start paid.
import { unzipSync } from 'fflate/browser';
import { CheckedByteBuffer } from './CheckedByteBuffer.js';
import {
  type AssociatedFile,
  AssociatedFileType,
  BoundingBoxProperties,
  BoundingBoxType,
  ContentProperties,
  CoordinateType,
  ModelMetadata,
  NormalizationOptions,
  ProcessUnitOptions,
  type TensorMetadata,
} from './generated/reader/metadata_schema_generated.js';
import type { ModelFile } from './openModel.js';
import { vectorOf } from './vectorOf.js';

/** How a bounding-box output stores each box (BoundingBoxProperties). */
interface BoxFormat {
  /** Positions of left, top, right, bottom (BOUNDARIES), left, top, width, height (UPPER_LEFT), or centre x, centre y, width, height (CENTER) in each box. */
  readonly index: readonly number[];
  readonly type: 'boundaries' | 'upper-left' | 'center';
  /** ratio: normalized to the input; pixel: input pixels. */
  readonly coordinates: 'ratio' | 'pixel';
}

/** What the metadata says of one output tensor (in the subgraph's output order). */
interface OutputMetadata {
  readonly name: string | null;
  /** The content's kind: feature (scores, classes), image (a mask), box (bounding boxes). */
  readonly content: 'feature' | 'image' | 'box' | null;
  readonly box?: BoxFormat;
  /** Its labels file and how it labels: axis (one label per position, scores) or value (one per value, class ids). */
  readonly labels?: { readonly file: string; readonly kind: 'axis' | 'value' };
}

/** What TFLite Metadata (the TFLITE_METADATA buffer, schema M001) says that a server can use. */
interface MetadataSummary {
  readonly name: string | null;
  /** The first input's NormalizationOptions: (x - mean) / std on 0..255 pixels. */
  readonly normalization: { readonly mean: number[]; readonly std: number[] } | null;
  /** Lines of the first TENSOR_AXIS_LABELS file, else of the first TENSOR_VALUE_LABELS one, read from the zip appended to the model. */
  readonly labels: string[] | null;
  /** The output tensors' metadata, in the subgraph's output order. */
  readonly outputs: OutputMetadata[];
}

const METADATA_NAME = 'TFLITE_METADATA';
/** A flatbuffer string field, which the object API gives as a string or as bytes. */
const flatText = (value: string | Uint8Array | null): string | null =>
  value === null ? null : typeof value === 'string' ? value : new TextDecoder().decode(value);

const LABEL_KINDS = new Map([
  [AssociatedFileType.TENSOR_AXIS_LABELS, 'axis'],
  [AssociatedFileType.TENSOR_VALUE_LABELS, 'value'],
] as const);

const labelsOf = (files: readonly AssociatedFile[]): OutputMetadata['labels'] => {
  for (const [type, kind] of LABEL_KINDS) {
    const file = files.find((candidate) => candidate.type() === type)?.name();
    if (file) return { file, kind };
  }
  return undefined;
};

const readLabels = (name: string, trailer: Uint8Array): string[] | null => {
  if (trailer.length === 0) return null;
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

const BOX_TYPES = {
  [BoundingBoxType.UPPER_LEFT]: 'upper-left',
  [BoundingBoxType.CENTER]: 'center',
} as Readonly<Record<number, BoxFormat['type']>>;

const outputOf = (tensor: TensorMetadata): OutputMetadata => {
  const content = tensor.content();
  const kind = content?.contentPropertiesType();
  const labels = labelsOf(vectorOf(tensor.associatedFilesLength(), (i) => tensor.associatedFiles(i)));
  const base = { name: tensor.name(), ...(labels && { labels }) };
  if (kind === ContentProperties.BoundingBoxProperties) {
    const box = content!.contentProperties(new BoundingBoxProperties()) as BoundingBoxProperties;
    const index = vectorOf(box.indexLength(), (i) => box.index(i));
    return {
      ...base,
      content: 'box',
      box: {
        index: index.length === 4 ? index : [0, 1, 2, 3],
        type: BOX_TYPES[box.type()] ?? 'boundaries',
        coordinates: box.coordinateType() === CoordinateType.PIXEL ? 'pixel' : 'ratio',
      },
    };
  }
  const contents = {
    [ContentProperties.FeatureProperties]: 'feature',
    [ContentProperties.ImageProperties]: 'image',
  } as Readonly<Record<number, OutputMetadata['content']>>;
  return { ...base, content: (kind !== undefined && contents[kind]) || null };
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
  const tensors = vectorOf(subgraph?.outputTensorMetadataLength() ?? 0, (i) => subgraph!.outputTensorMetadata(i));
  const outputs = tensors.map(outputOf);
  // Labels on an output first, in output order, axis labels before value labels; then the subgraph's and the model's.
  const files = [
    ...tensors.flatMap((tensor) => vectorOf(tensor.associatedFilesLength(), (i) => tensor.associatedFiles(i))),
    ...vectorOf(subgraph?.associatedFilesLength() ?? 0, (i) => subgraph!.associatedFiles(i)),
    ...vectorOf(metadata.associatedFilesLength(), (i) => metadata.associatedFiles(i)),
  ];
  const labelFile = labelsOf(files);
  return {
    name: metadata.name(),
    normalization: normalization
      ? {
          mean: vectorOf(normalization.meanLength(), (i) => normalization.mean(i)),
          std: vectorOf(normalization.stdLength(), (i) => normalization.std(i)),
        }
      : null,
    labels: labelFile ? readLabels(labelFile.file, trailer) : null,
    outputs,
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

export type { BoxFormat, MetadataSummary, OutputMetadata };
export { flatText, METADATA_NAME, readMetadata };
