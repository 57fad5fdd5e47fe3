// Runs one inference on the libuv thread pool. Execute touches only the
// interpreter, which the worker holds itself, never JS; the promise settles
// on the main thread. When the environment is going away (a worker thread
// exiting with runs in flight) there is nothing left to settle: completion
// then does nothing but free the worker, and never throws into Node.
#ifndef TFLITE_SERVERLESS_RUN_WORKER_H_
#define TFLITE_SERVERLESS_RUN_WORKER_H_

#include <napi.h>

#include <memory>
#include <string>

#include "native_model.h"

namespace tfls {

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, Napi::Object receiver, NativeModel* model);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnWorkComplete(Napi::Env env, napi_status status) override;

 private:
  void Settle(Napi::Env env);

  std::shared_ptr<Interpreter> interpreter_;
  std::shared_ptr<RunLink> link_;
  Napi::ObjectReference model_ref_;
  Napi::Promise::Deferred deferred_;
  std::string error_code_;
  std::string error_message_;
};

}  // namespace tfls

#endif  // TFLITE_SERVERLESS_RUN_WORKER_H_
