#include "interpreter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

#include "tensorflow/lite/c/common.h"
#include "xnnpack_delegate.h"

namespace tfls {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidModel:
      return "ERR_TFLITE_INVALID_MODEL";
    case ErrorCode::kCreateFailed:
      return "ERR_TFLITE_CREATE_FAILED";
    case ErrorCode::kAllocateFailed:
      return "ERR_TFLITE_ALLOCATE_FAILED";
    case ErrorCode::kInvokeFailed:
      return "ERR_TFLITE_INVOKE_FAILED";
    case ErrorCode::kResizeFailed:
      return "ERR_TFLITE_RESIZE_FAILED";
    case ErrorCode::kInvalidArgument:
      return "ERR_TFLITE_INVALID_ARGUMENT";
  }
  return "ERR_TFLITE";
}

void Interpreter::Report(void* user_data, const char* format, va_list args) {
  auto* self = static_cast<Interpreter*>(user_data);
  char line[1024];
  vsnprintf(line, sizeof(line), format, args);
  if (!self->errors_.empty()) self->errors_ += "; ";
  self->errors_ += line;
}

std::string Interpreter::TakeErrors() {
  std::string errors;
  errors.swap(errors_);
  return errors.empty() ? "no details from TFLite" : errors;
}

namespace {

// fd 2 to /dev/null while it lives. One at a time across threads (workers):
// the descriptor table is the process's.
class StderrSilence {
 public:
  StderrSilence() : lock_(Mutex()) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) dup2(null, STDERR_FILENO);
    if (null >= 0) close(null);
  }
  ~StderrSilence() {
    std::fflush(stderr);
    if (saved_ >= 0) {
      dup2(saved_, STDERR_FILENO);
      close(saved_);
    }
  }
  StderrSilence(const StderrSilence&) = delete;
  StderrSilence& operator=(const StderrSilence&) = delete;

 private:
  static std::mutex& Mutex() {
    static std::mutex mutex;
    return mutex;
  }
  std::lock_guard<std::mutex> lock_;
  int saved_ = -1;
};

}  // namespace

std::unique_ptr<Interpreter> Interpreter::Create(const uint8_t* data, size_t size, const InterpreterOptions& options) {
  std::optional<StderrSilence> silence;
  if (options.quiet) silence.emplace();
  std::unique_ptr<Interpreter> self(new Interpreter());
  self->threads_ = options.threads;
  self->max_tensor_bytes_ = options.max_tensor_bytes;
  self->model_bytes_.assign(data, data + size);
  self->model_ = TfLiteModelCreate(self->model_bytes_.data(), self->model_bytes_.size());
  if (self->model_ == nullptr) {
    throw EngineError(ErrorCode::kInvalidModel, "not a valid TFLite model: the flatbuffer failed verification");
  }

  if (!options.use_xnnpack) {
    self->delegate_reason_ = "disabled by option";
  } else {
    TfLiteXNNPackDelegateOptions xnn_options = TfLiteXNNPackDelegateOptionsDefault();
    xnn_options.num_threads = options.threads;
    xnn_options.flags |= TFLITE_XNNPACK_DELEGATE_FLAG_QS8 | TFLITE_XNNPACK_DELEGATE_FLAG_QU8;
    self->xnnpack_ = TfLiteXNNPackDelegateCreate(&xnn_options);
    if (self->xnnpack_ == nullptr) {
      self->delegate_reason_ =
          "TfLiteXNNPackDelegateCreate returned NULL: XNNPACK could not initialize on this CPU "
          "(on Lambda arm64 this happens when /sys/devices/system/cpu/possible and /present are missing; "
          "set AWS_LAMBDA_EXEC_WRAPPER=/opt/tfls-exec-wrapper so that the layer's shim answers for them)";
    }
  }

  auto create = [&](TfLiteDelegate* inner, bool search) {
    if (self->observer_ != nullptr) self->trials_ += self->observer_->trials();
    ++self->attempts_;
    self->observer_ = std::make_unique<ObserverDelegate>(inner, options.exclude_nodes, search, &self->errors_);
    if (self->options_ != nullptr) TfLiteInterpreterOptionsDelete(self->options_);
    self->options_ = TfLiteInterpreterOptionsCreate();
    TfLiteInterpreterOptionsSetNumThreads(self->options_, options.threads);
    TfLiteInterpreterOptionsSetErrorReporter(self->options_, &Interpreter::Report, self.get());
    TfLiteInterpreterOptionsAddDelegate(self->options_, self->observer_->delegate());
    self->interpreter_ = TfLiteInterpreterCreate(self->model_, self->options_);
  };
  create(self->xnnpack_, false);
  if (self->interpreter_ == nullptr && self->xnnpack_ != nullptr) {
    const std::string refused = self->TakeErrors();
    // XNNPACK took the graph and then could not build a runtime for part of
    // it: keep the nodes it refuses on the built-in kernels, and it the rest.
    // Only graphs it refused pay for the search; a model that cannot load at
    // all (a custom op TFLite lacks) never reached XNNPACK.
    const bool search = self->observer_->inner_prepared();
    if (search) create(self->xnnpack_, true);
    if (self->interpreter_ == nullptr) {
      // Never fail a load because of the delegate: retry on the built-in kernels.
      self->delegate_reason_ = "XNNPACK delegate could not be applied: " + refused;
      if (search) {
        self->delegate_reason_ += "; nor without the nodes it refuses one by one: " + self->TakeErrors();
      }
      create(nullptr, false);
    } else {
      self->delegate_ = "xnnpack";
    }
  } else if (self->xnnpack_ != nullptr) {
    self->delegate_ = "xnnpack";
  }
  if (self->interpreter_ == nullptr) {
    throw EngineError(ErrorCode::kCreateFailed, "the TFLite interpreter could not be created: " + self->TakeErrors());
  }
  self->trials_ += self->observer_->trials();
  self->node_count_ = self->observer_->nodes_before();
  if (self->delegate_ == "xnnpack") {
    self->delegated_node_count_ = self->observer_->nodes_delegated();
    self->refused_nodes_ = self->observer_->refused();
  }
  self->AllocateAndCheck(ErrorCode::kAllocateFailed);
  return self;
}

void Interpreter::AllocateAndCheck(ErrorCode code) {
  if (TfLiteInterpreterAllocateTensors(interpreter_) != kTfLiteOk) {
    const char* what = code == ErrorCode::kResizeFailed ? "the model cannot run at this input shape: "
                                                         : "tensor allocation failed: ";
    throw EngineError(code, what + TakeErrors());
  }
  const TfLiteContext* context = observer_->context();
  if (context == nullptr) return;
  double total = 0;
  for (size_t i = 0; i < context->tensors_size; ++i) {
    const TfLiteTensor& tensor = context->tensors[i];
    if (tensor.allocation_type != kTfLiteMmapRo) total += static_cast<double>(tensor.bytes);
  }
  if (total >= max_tensor_bytes_) {
    throw EngineError(code, "the model's tensors would take " + std::to_string(static_cast<int64_t>(total / 1048576)) +
                                " MB, at or over the limit of " +
                                std::to_string(static_cast<int64_t>(max_tensor_bytes_ / 1048576)) + " MB");
  }
}

Interpreter::~Interpreter() {
  // The interpreter must go before the delegate it uses, the delegate before
  // nothing else; the model bytes outlive the model.
  if (interpreter_ != nullptr) TfLiteInterpreterDelete(interpreter_);
  if (options_ != nullptr) TfLiteInterpreterOptionsDelete(options_);
  if (xnnpack_ != nullptr) TfLiteXNNPackDelegateDelete(xnnpack_);
  if (model_ != nullptr) TfLiteModelDelete(model_);
}

static TensorInfo Describe(const TfLiteTensor* tensor) {
  TensorInfo info;
  const char* name = TfLiteTensorName(tensor);
  info.name = name != nullptr ? name : "";
  info.type = TfLiteTensorType(tensor);
  const int32_t rank = TfLiteTensorNumDims(tensor);
  for (int32_t d = 0; d < rank; ++d) info.shape.push_back(TfLiteTensorDim(tensor, d));
  info.bytes = TfLiteTensorByteSize(tensor);
  if (tensor->quantization.type == kTfLiteAffineQuantization && tensor->quantization.params != nullptr) {
    const auto* affine = static_cast<const TfLiteAffineQuantization*>(tensor->quantization.params);
    if (affine->scale != nullptr) info.quantization.scale.assign(affine->scale->data, affine->scale->data + affine->scale->size);
    if (affine->zero_point != nullptr) {
      info.quantization.zero_point.assign(affine->zero_point->data, affine->zero_point->data + affine->zero_point->size);
    }
    info.quantization.quantized_dimension = affine->quantized_dimension;
  }
  return info;
}

std::vector<TensorInfo> Interpreter::Inputs() const {
  std::vector<TensorInfo> result;
  const int32_t count = TfLiteInterpreterGetInputTensorCount(interpreter_);
  for (int32_t i = 0; i < count; ++i) result.push_back(Describe(TfLiteInterpreterGetInputTensor(interpreter_, i)));
  return result;
}

std::vector<TensorInfo> Interpreter::Outputs() const {
  std::vector<TensorInfo> result;
  const int32_t count = TfLiteInterpreterGetOutputTensorCount(interpreter_);
  for (int32_t i = 0; i < count; ++i) result.push_back(Describe(TfLiteInterpreterGetOutputTensor(interpreter_, i)));
  return result;
}

void Interpreter::ResizeInputs(const std::vector<std::vector<int32_t>>& shapes) {
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto& shape = shapes[i];
    if (TfLiteInterpreterResizeInputTensor(interpreter_, static_cast<int32_t>(i), shape.data(),
                                           static_cast<int32_t>(shape.size())) != kTfLiteOk) {
      throw EngineError(ErrorCode::kResizeFailed, "input resize failed: " + TakeErrors());
    }
  }
  AllocateAndCheck(ErrorCode::kResizeFailed);
}

void Interpreter::SetInputs(const std::vector<InputView>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    TfLiteTensor* tensor = TfLiteInterpreterGetInputTensor(interpreter_, static_cast<int32_t>(i));
    if (TfLiteTensorCopyFromBuffer(tensor, inputs[i].data, inputs[i].size) != kTfLiteOk) {
      throw EngineError(ErrorCode::kInvalidArgument, "input " + std::to_string(i) + " has the wrong byte size");
    }
  }
}

void Interpreter::Invoke() {
  if (TfLiteInterpreterInvoke(interpreter_) != kTfLiteOk) {
    throw EngineError(ErrorCode::kInvokeFailed, "inference failed: " + TakeErrors());
  }
}

std::vector<OutputView> Interpreter::OutputViews() const {
  std::vector<OutputView> result;
  const int32_t count = TfLiteInterpreterGetOutputTensorCount(interpreter_);
  result.reserve(count);
  for (int32_t i = 0; i < count; ++i) {
    const TfLiteTensor* tensor = TfLiteInterpreterGetOutputTensor(interpreter_, i);
    OutputView view{{}, TfLiteTensorData(tensor), TfLiteTensorByteSize(tensor)};
    const int32_t rank = TfLiteTensorNumDims(tensor);
    for (int32_t d = 0; d < rank; ++d) view.shape.push_back(TfLiteTensorDim(tensor, d));
    result.push_back(std::move(view));
  }
  return result;
}

}  // namespace tfls
