#include "native_model.h"

#include <cstring>
#include <functional>
#include <string>

#include "addon_data.h"
#include "run_worker.h"

namespace tfls {

namespace {

Napi::Object DescribeTensor(Napi::Env env, const TensorInfo& tensor) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", tensor.name);
  out.Set("type", tensor.type);
  Napi::Array shape = Napi::Array::New(env, tensor.shape.size());
  for (size_t i = 0; i < tensor.shape.size(); ++i) shape.Set(i, tensor.shape[i]);
  out.Set("shape", shape);
  out.Set("bytes", static_cast<double>(tensor.bytes));
  Napi::Array scale = Napi::Array::New(env, tensor.quantization.scale.size());
  for (size_t i = 0; i < tensor.quantization.scale.size(); ++i) scale.Set(i, tensor.quantization.scale[i]);
  Napi::Array zero_point = Napi::Array::New(env, tensor.quantization.zero_point.size());
  for (size_t i = 0; i < tensor.quantization.zero_point.size(); ++i) {
    zero_point.Set(i, tensor.quantization.zero_point[i]);
  }
  Napi::Object quantization = Napi::Object::New(env);
  quantization.Set("scale", scale);
  quantization.Set("zeroPoint", zero_point);
  quantization.Set("quantizedDimension", tensor.quantization.quantized_dimension);
  out.Set("quantization", quantization);
  return out;
}

Napi::Array DescribeTensors(Napi::Env env, const std::vector<TensorInfo>& tensors) {
  Napi::Array out = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) out.Set(i, DescribeTensor(env, tensors[i]));
  return out;
}

[[noreturn]] void ThrowTyped(Napi::Env env, const std::string& code, const std::string& message) {
  throw Napi::Error(env, MakeError(env, code, message));
}

}  // namespace

Napi::Function NativeModel::Define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {InstanceMethod<&NativeModel::Info>("info"), InstanceMethod<&NativeModel::Run>("run"),
                      InstanceMethod<&NativeModel::RunAsync>("runAsync"),
                      InstanceMethod<&NativeModel::ResizeInputs>("resizeInputs"),
                      InstanceMethod<&NativeModel::Dispose>("dispose")});
}

// new NativeModel(bytes: Uint8Array, {threads: number, xnnpack: boolean, maxTensorBytes: number, quiet: boolean,
//                 excludeNodes: number[]})
NativeModel::NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {
  Napi::Env env = info.Env();
  auto bytes = info[0].As<Napi::Uint8Array>();
  auto js_options = info[1].As<Napi::Object>();
  InterpreterOptions options;
  options.threads = js_options.Get("threads").As<Napi::Number>().Int32Value();
  options.use_xnnpack = js_options.Get("xnnpack").As<Napi::Boolean>().Value();
  options.max_tensor_bytes = js_options.Get("maxTensorBytes").As<Napi::Number>().DoubleValue();
  options.quiet = js_options.Get("quiet").As<Napi::Boolean>().Value();
  auto exclude = js_options.Get("excludeNodes").As<Napi::Array>();
  for (uint32_t i = 0; i < exclude.Length(); ++i) {
    options.exclude_nodes.push_back(exclude.Get(i).As<Napi::Number>().Int32Value());
  }
  try {
    interpreter_ = Interpreter::Create(bytes.Data(), bytes.ByteLength(), options);
  } catch (const EngineError& error) {
    ThrowTyped(env, ErrorCodeName(error.code()), error.what());
  }
  // Environment teardown (process or worker exit) frees what GC never got to.
  cleanup_hook_ = env.AddCleanupHook(std::function<void()>([this]() {
    has_cleanup_hook_ = false;
    interpreter_.reset();
  }));
  has_cleanup_hook_ = true;
}

NativeModel::~NativeModel() {
  link_->model = nullptr;
  Release();
}

void NativeModel::Release() {
  reused_outputs_.clear();
  if (has_cleanup_hook_) {
    cleanup_hook_.Remove(Env());
    has_cleanup_hook_ = false;
  }
  interpreter_.reset();
}

Napi::Value NativeModel::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!interpreter_) ThrowTyped(env, "ERR_TFLITE_DISPOSED", "the model has been disposed");
  Napi::Object out = Napi::Object::New(env);
  out.Set("inputs", DescribeTensors(env, interpreter_->Inputs()));
  out.Set("outputs", DescribeTensors(env, interpreter_->Outputs()));
  out.Set("delegate", interpreter_->delegate());
  out.Set("delegateReason", interpreter_->delegate_reason());
  out.Set("threads", interpreter_->threads());
  out.Set("nodes", interpreter_->node_count());
  out.Set("delegatedNodes", interpreter_->delegated_node_count());
  const std::vector<RefusedNode>& refused = interpreter_->refused_nodes();
  Napi::Array refused_nodes = Napi::Array::New(env, refused.size());
  for (size_t i = 0; i < refused.size(); ++i) {
    Napi::Object node = Napi::Object::New(env);
    node.Set("node", refused[i].node);
    node.Set("reason", refused[i].reason);
    refused_nodes.Set(i, node);
  }
  out.Set("refusedNodes", refused_nodes);
  out.Set("attempts", interpreter_->attempts());
  out.Set("trials", interpreter_->trials());
  out.Set("tfliteVersion", TfLiteVersion());
  return out;
}

void NativeModel::BeginRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!interpreter_ || dispose_pending_) ThrowTyped(env, "ERR_TFLITE_DISPOSED", "the model has been disposed");
  if (busy_) ThrowTyped(env, "ERR_TFLITE_BUSY", "the model is already running; runs on one model are serialized");
  auto inputs = info[0].As<Napi::Array>();
  std::vector<InputView> views;
  views.reserve(inputs.Length());
  for (uint32_t i = 0; i < inputs.Length(); ++i) {
    auto view = inputs.Get(i).As<Napi::Uint8Array>();
    views.push_back({view.Data(), view.ByteLength()});
  }
  try {
    interpreter_->SetInputs(views);
  } catch (const EngineError& error) {
    ThrowTyped(env, ErrorCodeName(error.code()), error.what());
  }
}

Napi::Array NativeModel::CopyOutputs(Napi::Env env, const Interpreter& interpreter, bool reuse) {
  const std::vector<OutputView> views = interpreter.OutputViews();
  Napi::Array outputs = Napi::Array::New(env, views.size());
  if (reuse) reused_outputs_.resize(views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    Napi::Object out = Napi::Object::New(env);
    Napi::Array shape = Napi::Array::New(env, views[i].shape.size());
    for (size_t d = 0; d < views[i].shape.size(); ++d) shape.Set(d, views[i].shape[d]);
    Napi::ArrayBuffer data;
    if (reuse && !reused_outputs_[i].IsEmpty() && reused_outputs_[i].Value().ByteLength() == views[i].size) {
      data = reused_outputs_[i].Value();
    } else {
      data = Napi::ArrayBuffer::New(env, views[i].size);
      if (reuse) reused_outputs_[i] = Napi::Persistent(data);
    }
    if (views[i].size > 0 && views[i].data != nullptr) std::memcpy(data.Data(), views[i].data, views[i].size);
    out.Set("shape", shape);
    out.Set("data", data);
    outputs.Set(i, out);
  }
  return outputs;
}

// run(inputs: Uint8Array[], reuseOutputs: boolean): {shape: number[], data: ArrayBuffer}[]
// With reuseOutputs the same ArrayBuffers come back run after run.
Napi::Value NativeModel::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BeginRun(info);
  try {
    interpreter_->Invoke();
  } catch (const EngineError& error) {
    ThrowTyped(env, ErrorCodeName(error.code()), error.what());
  }
  return CopyOutputs(env, *interpreter_, info[1].ToBoolean().Value());
}

// runAsync(inputs: Uint8Array[], reuseOutputs: boolean): Promise<{shape, data}[]>
Napi::Value NativeModel::RunAsync(const Napi::CallbackInfo& info) {
  BeginRun(info);
  busy_ = true;
  reuse_pending_ = info[1].ToBoolean().Value();
  auto* worker = new RunWorker(info.Env(), info.This().As<Napi::Object>(), this);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

void NativeModel::FinishRun() {
  busy_ = false;
  reuse_pending_ = false;
  if (dispose_pending_) {
    dispose_pending_ = false;
    Release();
  }
}

// resizeInputs(shapes: number[][])
Napi::Value NativeModel::ResizeInputs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!interpreter_ || dispose_pending_) ThrowTyped(env, "ERR_TFLITE_DISPOSED", "the model has been disposed");
  if (busy_) ThrowTyped(env, "ERR_TFLITE_BUSY", "the model is running; resize after the run ends");
  auto js_shapes = info[0].As<Napi::Array>();
  std::vector<std::vector<int32_t>> shapes;
  for (uint32_t i = 0; i < js_shapes.Length(); ++i) {
    auto dims = js_shapes.Get(i).As<Napi::Array>();
    std::vector<int32_t> shape;
    for (uint32_t d = 0; d < dims.Length(); ++d) shape.push_back(dims.Get(d).As<Napi::Number>().Int32Value());
    shapes.push_back(std::move(shape));
  }
  try {
    interpreter_->ResizeInputs(shapes);
  } catch (const EngineError& error) {
    ThrowTyped(env, ErrorCodeName(error.code()), error.what());
  }
  return env.Undefined();
}

// dispose(): idempotent; a run in flight finishes first.
Napi::Value NativeModel::Dispose(const Napi::CallbackInfo& info) {
  if (busy_) {
    dispose_pending_ = true;
  } else {
    Release();
  }
  return info.Env().Undefined();
}

}  // namespace tfls
