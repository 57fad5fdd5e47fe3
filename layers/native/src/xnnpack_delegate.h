// The XNNPACK delegate API exported by TFLite 2.9's libtensorflowlite_c.so.
// tfjs-tflite-node ships the library but not this header, so the declarations
// are restated here; they must match tensorflow/lite/delegates/xnnpack/
// xnnpack_delegate.h at v2.9 exactly, because the struct crosses the ABI.
#ifndef TFLITE_SERVERLESS_XNNPACK_DELEGATE_H_
#define TFLITE_SERVERLESS_XNNPACK_DELEGATE_H_

#include <stdint.h>

#include "tensorflow/lite/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

// Signed 8-bit quantized inference (per-tensor and per-channel weights).
#define TFLITE_XNNPACK_DELEGATE_FLAG_QS8 0x00000001
// Unsigned 8-bit quantized inference (legacy TF1 quantization).
#define TFLITE_XNNPACK_DELEGATE_FLAG_QU8 0x00000002

struct TfLiteXNNPackDelegateWeightsCache;

typedef struct {
  int32_t num_threads;
  uint32_t flags;
  struct TfLiteXNNPackDelegateWeightsCache* weights_cache;
} TfLiteXNNPackDelegateOptions;

TfLiteXNNPackDelegateOptions TfLiteXNNPackDelegateOptionsDefault(void);
TfLiteDelegate* TfLiteXNNPackDelegateCreate(const TfLiteXNNPackDelegateOptions* options);
void TfLiteXNNPackDelegateDelete(TfLiteDelegate* delegate);

#ifdef __cplusplus
}
#endif

#endif  // TFLITE_SERVERLESS_XNNPACK_DELEGATE_H_
