import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { Builder } from 'flatbuffers';
import {
  AssociatedFileT,
  AssociatedFileType,
  ModelMetadataT,
  NormalizationOptionsT,
  ProcessUnitOptions,
  ProcessUnitT,
  SubGraphMetadataT,
  TensorMetadataT,
} from '../../src/tflite/generated/metadata_schema_generated.js';
import { MetadataT } from '../../src/tflite/generated/schema_generated.js';
import { ModelBuffer } from '../../src/tflite/modelBuffers.js';
import { readModel } from '../../src/tflite/readModel.js';
import { writeModel } from '../../src/tflite/writeModel.js';

/**
 * A real model with TFLite Metadata the way tflite-support's writer makes it:
 * a TFLITE_METADATA buffer (M001: name, input normalization, a labels file)
 * and the labels packed in a zip appended after the flatbuffer.
 */
const withMetadata = (
  model: string | Uint8Array,
  labels: readonly string[],
  options: { name?: string; normalization?: { mean: number[]; std: number[] } | null } = {},
): Uint8Array => {
  const file = readModel(typeof model === 'string' ? new Uint8Array(readFileSync(model)) : model);
  const normalization = options.normalization === undefined ? { mean: [127.5], std: [127.5] } : options.normalization;
  const input = new TensorMetadataT(
    'image',
    'RGB',
    [],
    null,
    normalization
      ? [
          new ProcessUnitT(
            ProcessUnitOptions.NormalizationOptions,
            new NormalizationOptionsT(normalization.mean, normalization.std),
          ),
        ]
      : [],
  );
  const output = new TensorMetadataT('scores', null, [], null, [], null, [
    new AssociatedFileT('labels.txt', 'one label per line', AssociatedFileType.TENSOR_AXIS_LABELS),
  ]);
  const metadata = new ModelMetadataT(options.name ?? 'BlazeFace with metadata', 'test fixture', '1', [
    new SubGraphMetadataT('main', null, [input], [output]),
  ]);
  const builder = new Builder(1024);
  builder.finish(metadata.pack(builder), 'M001');
  file.model.buffers.push(new ModelBuffer(builder.asUint8Array()));
  file.model.metadata.push(new MetadataT('TFLITE_METADATA', file.model.buffers.length - 1));
  const zip = zipSync({ 'labels.txt': new TextEncoder().encode(`${labels.join('\n')}\n`) });
  return writeModel({ model: file.model, trailer: zip });
};

export { withMetadata };
