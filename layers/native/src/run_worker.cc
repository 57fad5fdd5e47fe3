#include "run_worker.h"

#include "addon_data.h"

namespace tfls {

RunWorker::RunWorker(Napi::Env env, Napi::Object receiver, NativeModel* model)
    : Napi::AsyncWorker(env, "tflite:run"),
      interpreter_(model->interpreter()),
      link_(model->link()),
      // Pins the JS model object, so GC cannot finalize it mid-run.
      model_ref_(Napi::Persistent(receiver)),
      deferred_(Napi::Promise::Deferred::New(env)) {}

void RunWorker::Execute() {
  try {
    interpreter_->Invoke();
  } catch (const EngineError& error) {
    error_code_ = ErrorCodeName(error.code());
    error_message_ = error.what();
  }
}

void RunWorker::Settle(Napi::Env env) {
  Napi::HandleScope scope(env);
  NativeModel* model = link_->model;
  if (model == nullptr) {
    deferred_.Reject(MakeError(env, "ERR_TFLITE_DISPOSED", "the model was freed during the run"));
    return;
  }
  if (!error_message_.empty()) {
    model->FinishRun();
    deferred_.Reject(MakeError(env, error_code_, error_message_));
    return;
  }
  // Outputs are read before FinishRun, which may release a disposed model.
  Napi::Array outputs = model->CopyOutputs(env, *interpreter_, model->reuse_pending());
  model->FinishRun();
  deferred_.Resolve(outputs);
}

void RunWorker::OnWorkComplete(Napi::Env env, napi_status status) {
  if (status != napi_cancelled) {
    try {
      Settle(env);
    } catch (const Napi::Error&) {
      // The environment is shutting down and can run no JS: the promise has no one left to tell.
    }
  }
  Destroy();
}

}  // namespace tfls
