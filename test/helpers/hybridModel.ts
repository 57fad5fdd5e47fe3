import { expandFloat16 } from '../../src/compress/expandFloat16.js';
import { constantData, opcodeIndex, setConstant } from '../../src/compress/graph.js';
import { quantizeSymmetricInt8 } from '../../src/compress/quantMath.js';
import { BuiltinOperator, QuantizationParametersT, TensorType } from '../../src/tflite/generated/schema_generated.js';
import { builtinCode } from '../../src/tflite/opcodes.js';
import { readModel } from '../../src/tflite/readModel.js';
import { writeModel } from '../../src/tflite/writeModel.js';

/** The hybrid kernels' per-channel axis and op version (op_version.cc: CONV_2D 5, DEPTHWISE_CONV_2D 6). */
const HYBRID = new Map([
  [BuiltinOperator.CONV_2D, { axis: 0, version: 5 }],
  [BuiltinOperator.DEPTHWISE_CONV_2D, { axis: 3, version: 6 }],
]);

/**
 * The layout the TFLite converter's dynamic-range quantization writes (what
 * tfls compress --mode dynamic wrote before it read int8 weights through
 * DEQUANTIZE): convolution weights of 1,024 elements or more as symmetric
 * int8 per output channel, read directly by TFLite's hybrid kernels, which
 * quantize the float activations on every run.
 */
const hybridModel = (bytes: Uint8Array): Uint8Array => {
  const file = readModel(bytes);
  const { model } = file;
  expandFloat16(model);
  for (const subgraph of model.subgraphs) {
    for (const op of subgraph.operators) {
      const kind = builtinCode(model.operatorCodes[op.opcodeIndex]!);
      const hybrid = HYBRID.get(kind);
      const tensor = subgraph.tensors[op.inputs[1] ?? -1];
      const data = tensor && constantData(model, tensor);
      if (!hybrid || !tensor || !data || tensor.type !== TensorType.FLOAT32 || data.length / 4 < 1024) continue;
      const { quantized, scales } = quantizeSymmetricInt8(
        new Float32Array(data.slice().buffer),
        tensor.shape,
        hybrid.axis,
      );
      setConstant(model, tensor, TensorType.INT8, new Uint8Array(quantized.buffer));
      const quantization = new QuantizationParametersT();
      quantization.scale = scales;
      quantization.zeroPoint = scales.map(() => 0n);
      quantization.quantizedDimension = hybrid.axis;
      tensor.quantization = quantization;
      opcodeIndex(model, kind, hybrid.version);
    }
  }
  return writeModel(file);
};

export { hybridModel };
