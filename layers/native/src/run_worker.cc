#include "run_worker.h"

#include "addon_data.h"

namespace tfls {

RunWorker::RunWorker(Napi::Env env, Napi::Object receiver, NativeModel* model)
    : Napi::AsyncWorker(env, "tflite:run"),
      model_(model),
      // Pins the JS model object, so GC cannot finalize it mid-run.
      model_ref_(Napi::Persistent(receiver)),
      deferred_(Napi::Promise::Deferred::New(env)) {}

void RunWorker::Execute() {
  try {
    model_->interpreter()->Invoke();
  } catch (const EngineError& error) {
    error_code_ = ErrorCodeName(error.code());
    SetError(error.what());
  }
}

void RunWorker::OnOK() {
  Napi::HandleScope scope(Env());
  // Outputs are read before FinishRun, which may release a disposed model.
  Napi::Array outputs = model_->CopyOutputs(Env(), model_->reuse_pending());
  model_->FinishRun();
  deferred_.Resolve(outputs);
}

void RunWorker::OnError(const Napi::Error& error) {
  Napi::HandleScope scope(Env());
  model_->FinishRun();
  const std::string message = error.Message();
  deferred_.Reject(MakeError(Env(), error_code_.empty() ? "ERR_TFLITE_INVOKE_FAILED" : error_code_, message));
}

}  // namespace tfls
