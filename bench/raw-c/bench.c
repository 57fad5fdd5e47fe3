// The limit: TFLite 2.9's C API with XNNPACK, called directly, no Node.
// Same inputs as `tfls bench` (mulberry32, seed 1, floats in [0, 1)).
//   bench <model.tflite> <threads> <runs> <warmup>
// Prints {"initMs":..,"p50Ms":..,"p90Ms":..,"p99Ms":..,"minMs":..}.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tensorflow/lite/c/c_api.h"
#include "xnnpack_delegate.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int compare(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static uint32_t state = 1;
static double next_random(void) {
  state += 0x6d2b79f5u;
  uint32_t t = state;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return (double)(t ^ (t >> 14)) / 4294967296.0;
}

static double percentile(const double* sorted, int n, double p) {
  int rank = (int)ceil(p / 100.0 * n);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bench <model.tflite> <threads> <runs> <warmup>\n");
    return 2;
  }
  const int threads = atoi(argv[2]), runs = atoi(argv[3]), warmup = atoi(argv[4]);
  const double start = now_ms();
  TfLiteModel* model = TfLiteModelCreateFromFile(argv[1]);
  if (model == NULL) return 1;
  TfLiteInterpreterOptions* options = TfLiteInterpreterOptionsCreate();
  TfLiteInterpreterOptionsSetNumThreads(options, threads);
  TfLiteXNNPackDelegateOptions xnn = TfLiteXNNPackDelegateOptionsDefault();
  xnn.num_threads = threads;
  xnn.flags |= TFLITE_XNNPACK_DELEGATE_FLAG_QS8 | TFLITE_XNNPACK_DELEGATE_FLAG_QU8;
  TfLiteDelegate* delegate = TfLiteXNNPackDelegateCreate(&xnn);
  if (delegate != NULL) TfLiteInterpreterOptionsAddDelegate(options, delegate);
  TfLiteInterpreter* interpreter = TfLiteInterpreterCreate(model, options);
  if (interpreter == NULL || TfLiteInterpreterAllocateTensors(interpreter) != kTfLiteOk) return 1;
  const double init = now_ms() - start;
  for (int i = 0; i < TfLiteInterpreterGetInputTensorCount(interpreter); ++i) {
    TfLiteTensor* tensor = TfLiteInterpreterGetInputTensor(interpreter, i);
    float* data = (float*)TfLiteTensorData(tensor);
    for (size_t k = 0; k < TfLiteTensorByteSize(tensor) / sizeof(float); ++k) data[k] = (float)next_random();
  }
  for (int i = 0; i < warmup; ++i) TfLiteInterpreterInvoke(interpreter);
  double* samples = malloc(sizeof(double) * runs);
  for (int i = 0; i < runs; ++i) {
    const double t = now_ms();
    TfLiteInterpreterInvoke(interpreter);
    samples[i] = now_ms() - t;
  }
  qsort(samples, runs, sizeof(double), compare);
  printf("{\"initMs\":%.3f,\"p50Ms\":%.3f,\"p90Ms\":%.3f,\"p99Ms\":%.3f,\"minMs\":%.3f,\"delegate\":\"%s\"}\n", init,
         percentile(samples, runs, 50), percentile(samples, runs, 90), percentile(samples, runs, 99), samples[0],
         delegate != NULL ? "xnnpack" : "none");
  TfLiteInterpreterDelete(interpreter);
  TfLiteInterpreterOptionsDelete(options);
  if (delegate != NULL) TfLiteXNNPackDelegateDelete(delegate);
  TfLiteModelDelete(model);
  free(samples);
  return 0;
}
