// Entry point of the ringkv_native addon. It only initializes: each binding file adds
// its own functions to the exports through its register function.
#include <napi.h>

#include "md5.h"

namespace ringkv {

// Defined in merkle.cc and lock.cc; declared here, their only caller, as neither has a header.
void RegisterMerkle(Napi::Env env, Napi::Object exports);
void RegisterLock(Napi::Env env, Napi::Object exports);

}  // namespace ringkv

// At file scope because NODE_API_MODULE pastes this name into an identifier.
static Napi::Object InitRingkvNative(Napi::Env env, Napi::Object exports) {
  ringkv::RegisterMd5(env, exports);
  ringkv::RegisterMerkle(env, exports);
  ringkv::RegisterLock(env, exports);
  return exports;
}

NODE_API_MODULE(ringkv_native, InitRingkvNative)
