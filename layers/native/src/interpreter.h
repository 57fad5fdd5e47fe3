// Plain C++ over the TFLite C API: no Node-API types here, so the same code
// can be exercised from a C++ test or a sanitizer build. The caller (the
// TypeScript layer) has validated shapes, dtypes and byte counts already.
#ifndef TFLITE_SERVERLESS_INTERPRETER_H_
#define TFLITE_SERVERLESS_INTERPRETER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "observer_delegate.h"
#include "tensorflow/lite/c/c_api.h"

namespace tfls {

// Error codes shared with src/engine/errors.ts.
enum class ErrorCode { kInvalidModel, kCreateFailed, kAllocateFailed, kInvokeFailed, kResizeFailed, kInvalidArgument };

const char* ErrorCodeName(ErrorCode code);

class EngineError : public std::runtime_error {
 public:
  EngineError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

struct InterpreterOptions {
  int threads = 1;
  bool use_xnnpack = true;
  // Upper bound on the bytes of all non-constant tensors once allocated: a
  // damaged or hostile model (a huge PAD, a giant RESHAPE) is refused before
  // it can exhaust memory or run for minutes.
  double max_tensor_bytes = 1024.0 * 1024.0 * 1024.0;
  // TFLite 2.9 prints to stderr while it loads (the XNNPACK INFO line, its
  // own flatbuffer errors) and has no switch for it: quiet sends fd 2 to
  // /dev/null for the duration of Create. Its errors still reach the caller
  // through the error reporter.
  bool quiet = true;
  // Nodes (operator indices of the main subgraph, sorted) to keep from
  // XNNPACK: what an earlier interpreter of the same model found it refuses.
  std::vector<int> exclude_nodes;
};

struct Quantization {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int32_t quantized_dimension = 0;
};

struct TensorInfo {
  std::string name;
  int type = 0;  // TfLiteType
  std::vector<int32_t> shape;
  size_t bytes = 0;
  Quantization quantization;
};

struct OutputView {
  std::vector<int32_t> shape;
  const void* data;
  size_t size;
};

struct InputView {
  const void* data;
  size_t size;
};

class Interpreter {
 public:
  // Throws EngineError. The model bytes are copied: TfLiteModelCreate keeps a
  // pointer into them for the model's whole life.
  static std::unique_ptr<Interpreter> Create(const uint8_t* data, size_t size, const InterpreterOptions& options);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::vector<TensorInfo> Inputs() const;
  std::vector<TensorInfo> Outputs() const;

  // "xnnpack" or "none", and why not when "none".
  const std::string& delegate() const { return delegate_; }
  const std::string& delegate_reason() const { return delegate_reason_; }
  int threads() const { return threads_; }
  int node_count() const { return node_count_; }
  int delegated_node_count() const { return delegated_node_count_; }
  // Nodes kept from XNNPACK because it refused them (empty unless the
  // delegate is "xnnpack" and some were), with what it said.
  const std::vector<RefusedNode>& refused_nodes() const { return refused_nodes_; }
  // What the load cost: TfLiteInterpreterCreate calls, and XNNPACK runtimes
  // built to find the nodes it refuses (0 and 0 past a first creation that worked).
  int attempts() const { return attempts_; }
  int trials() const { return trials_; }

  // Resizes every input, then allocates once (inputs may have to agree).
  void ResizeInputs(const std::vector<std::vector<int32_t>>& shapes);
  void SetInputs(const std::vector<InputView>& inputs);
  void Invoke();
  // Views into the interpreter's arena: valid until the next Invoke or resize.
  std::vector<OutputView> OutputViews() const;

 private:
  Interpreter() = default;
  std::string TakeErrors();
  static void Report(void* user_data, const char* format, va_list args);

  std::vector<uint8_t> model_bytes_;
  TfLiteModel* model_ = nullptr;
  TfLiteInterpreterOptions* options_ = nullptr;
  TfLiteInterpreter* interpreter_ = nullptr;
  void AllocateAndCheck(ErrorCode code);
  std::unique_ptr<ObserverDelegate> observer_;
  double max_tensor_bytes_ = 0;
  TfLiteDelegate* xnnpack_ = nullptr;
  std::string delegate_ = "none";
  std::string delegate_reason_;
  std::string errors_;
  int threads_ = 1;
  int node_count_ = 0;
  int delegated_node_count_ = 0;
  std::vector<RefusedNode> refused_nodes_;
  int attempts_ = 0;
  int trials_ = 0;
};

}  // namespace tfls

#endif  // TFLITE_SERVERLESS_INTERPRETER_H_
