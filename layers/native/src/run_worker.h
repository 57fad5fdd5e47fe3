// Runs one inference on the libuv thread pool. Execute touches only the
// interpreter, never JS; the promise settles on the main thread.
#ifndef TFLITE_SERVERLESS_RUN_WORKER_H_
#define TFLITE_SERVERLESS_RUN_WORKER_H_

#include <napi.h>

#include <string>

#include "native_model.h"

namespace tfls {

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, Napi::Object receiver, NativeModel* model);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  NativeModel* model_;
  Napi::ObjectReference model_ref_;
  Napi::Promise::Deferred deferred_;
  std::string error_code_;
};

}  // namespace tfls

#endif  // TFLITE_SERVERLESS_RUN_WORKER_H_
