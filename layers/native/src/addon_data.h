// Per-environment state (worker threads each get their own), as Node-API
// instance data rather than globals.
#ifndef TFLITE_SERVERLESS_ADDON_DATA_H_
#define TFLITE_SERVERLESS_ADDON_DATA_H_

#include <napi.h>

#include <string>

namespace tfls {

struct AddonData {
  Napi::FunctionReference model_constructor;
  // (code, message) => Error, registered from TypeScript so that native
  // failures surface as the engine's typed errors.
  Napi::FunctionReference create_error;
};

// Builds the typed JS error for a code and message.
Napi::Value MakeError(Napi::Env env, const std::string& code, const std::string& message);

}  // namespace tfls

#endif  // TFLITE_SERVERLESS_ADDON_DATA_H_
