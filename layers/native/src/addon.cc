// Registers the binding's exports; nothing else lives here.
#include <napi.h>

#include "addon_data.h"
#include "native_model.h"

namespace tfls {

Napi::Value MakeError(Napi::Env env, const std::string& code, const std::string& message) {
  auto* data = env.GetInstanceData<AddonData>();
  if (data == nullptr || data->create_error.IsEmpty()) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", code);
    return error.Value();
  }
  return data->create_error.Call({Napi::String::New(env, code), Napi::String::New(env, message)});
}

namespace {

// setErrorFactory((code: string, message: string) => Error)
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  auto* data = info.Env().GetInstanceData<AddonData>();
  data->create_error = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value Version(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), TfLiteVersion()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function model = NativeModel::Define(env);
  data->model_constructor = Napi::Persistent(model);
  exports.Set("NativeModel", model);
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("tfliteVersion", Napi::Function::New(env, Version, "tfliteVersion"));
  return exports;
}

}  // namespace
}  // namespace tfls

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tfls::Init(env, exports); }

NODE_API_MODULE(tflite_native, InitAddon)
