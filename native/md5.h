// MD5 (RFC 1321) for ring placement and Merkle trees, plus the argument checks that
// every binding of the addon shares. The hashing core does not touch N-API, so it can
// be read and tested on its own; the checks turn bad JavaScript arguments into
// TypeError/RangeError before any byte is read.
#ifndef RINGKV_NATIVE_MD5_H_
#define RINGKV_NATIVE_MD5_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace ringkv {

constexpr size_t MD5_DIGEST_BYTES = 16;

// Writes the 16-byte MD5 of data[0 .. length) to digest. digest may alias data.
void Md5(const uint8_t* data, size_t length, uint8_t* digest);

// The first 4 bytes of MD5(data[0 .. length)) read big-endian: the ring position.
uint32_t Md5Prefix32(const uint8_t* data, size_t length);

void RegisterMd5(Napi::Env env, Napi::Object exports);

// Argument checks. Each throws a Napi::Error (C++ exceptions are on) whose message
// names the function and the argument, so a caller sees what it passed wrong.
namespace args {

template <typename Element>
struct TypedArrayView {
  Element* data;
  size_t length;
};

// napi_get_typedarray_info is a single call that both checks the type and yields the
// pointer, which keeps per-call overhead low for the one-key path.
template <typename Element, napi_typedarray_type Type>
TypedArrayView<Element> TypedArrayArg(const Napi::CallbackInfo& info, size_t index, const char* function,
                                      const char* name, const char* typeName) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_status status = napi_get_typedarray_info(info.Env(), info[index], &type, &length, &data, nullptr, nullptr);
  if (status != napi_ok || type != Type) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + ": " + name + " must be a " + typeName);
  }
  return {static_cast<Element*>(data), length};
}

inline TypedArrayView<uint8_t> Uint8ArrayArg(const Napi::CallbackInfo& info, size_t index, const char* function,
                                             const char* name) {
  return TypedArrayArg<uint8_t, napi_uint8_array>(info, index, function, name, "Uint8Array");
}

inline TypedArrayView<uint32_t> Uint32ArrayArg(const Napi::CallbackInfo& info, size_t index, const char* function,
                                               const char* name) {
  return TypedArrayArg<uint32_t, napi_uint32_array>(info, index, function, name, "Uint32Array");
}

// An integer in [min, 2^32 - 1]: counts and offsets index typed arrays, so nothing
// larger can be meaningful, and checking here keeps size_t arithmetic from overflowing.
inline uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* function, const char* name,
                          uint32_t min) {
  double value = 0;
  if (napi_get_value_double(info.Env(), info[index], &value) != napi_ok) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + ": " + name + " must be a number");
  }
  if (!(value >= min && value <= UINT32_MAX) || value != static_cast<double>(static_cast<uint32_t>(value))) {
    throw Napi::RangeError::New(info.Env(), std::string(function) + ": " + name + " must be an integer in [" +
                                                std::to_string(min) + ", 4294967295], got " +
                                                Napi::Value(info[index]).ToString().Utf8Value());
  }
  return static_cast<uint32_t>(value);
}

}  // namespace args
}  // namespace ringkv

#endif  // RINGKV_NATIVE_MD5_H_
