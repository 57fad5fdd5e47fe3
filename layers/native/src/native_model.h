// The JS-facing model object: argument plumbing only, the work is in
// interpreter.cc and run_worker.cc.
#ifndef TFLITE_SERVERLESS_NATIVE_MODEL_H_
#define TFLITE_SERVERLESS_NATIVE_MODEL_H_

#include <napi.h>

#include <memory>
#include <vector>

#include "interpreter.h"

namespace tfls {

class NativeModel;

// What a model and its run in flight share: the run holds the interpreter
// itself (so that a worker's teardown freeing the model cannot free it under
// the thread pool) and learns here whether the model object still exists.
struct RunLink {
  NativeModel* model;
};

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeModel(const Napi::CallbackInfo& info);
  ~NativeModel() override;

  // Called by the async worker on the main thread once its run has ended.
  void FinishRun();
  const std::shared_ptr<Interpreter>& interpreter() const { return interpreter_; }
  const std::shared_ptr<RunLink>& link() const { return link_; }
  bool reuse_pending() const { return reuse_pending_; }
  Napi::Array CopyOutputs(Napi::Env env, const Interpreter& interpreter, bool reuse);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunAsync(const Napi::CallbackInfo& info);
  Napi::Value ResizeInputs(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // Throws unless the model can start a run now; copies the inputs in.
  void BeginRun(const Napi::CallbackInfo& info);
  void Release();

  std::shared_ptr<Interpreter> interpreter_;
  std::shared_ptr<RunLink> link_ = std::make_shared<RunLink>(RunLink{this});
  // Output buffers kept across runs for callers that consume outputs before
  // the next run: no allocation (and no garbage for V8 to sweep) per run.
  std::vector<Napi::Reference<Napi::ArrayBuffer>> reused_outputs_;
  bool busy_ = false;
  bool reuse_pending_ = false;
  bool dispose_pending_ = false;
  Napi::Env::CleanupHook<std::function<void()>> cleanup_hook_;
  bool has_cleanup_hook_ = false;
};

}  // namespace tfls

#endif  // TFLITE_SERVERLESS_NATIVE_MODEL_H_
