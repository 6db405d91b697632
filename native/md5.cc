// MD5 (RFC 1321) written for ringkv, and the two bindings that hash keys: md5Batch
// hashes many keys per call into ring positions (the main thread's hot path, one N-API
// crossing per batch), md5Into writes one full digest into a caller's buffer.
// Nothing here allocates per key and nothing is global and mutable, so the addon is
// safe to load in every worker thread.
#include "md5.h"

#include <cstring>

namespace ringkv {
namespace {

constexpr size_t BLOCK_BYTES = 64;
// The message length in bits is stored in the last 8 bytes of the final block.
constexpr size_t LENGTH_FIELD_OFFSET = BLOCK_BYTES - 8;

// Per-step additive constants: floor(|sin(i + 1)| * 2^32), as RFC 1321 defines them.
constexpr uint32_t SINE_TABLE[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Left-rotation amounts: each of the four rounds cycles through its own four.
constexpr int ROTATIONS[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

struct State {
  uint32_t a = 0x67452301;
  uint32_t b = 0xefcdab89;
  uint32_t c = 0x98badcfe;
  uint32_t d = 0x10325476;
};

inline uint32_t RotateLeft(uint32_t x, int bits) { return (x << bits) | (x >> (32 - bits)); }

// Byte-wise so the code is right on any endianness; compilers turn it into one load.
inline uint32_t LoadLittleEndian32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

inline void StoreLittleEndian32(uint32_t value, uint8_t* p) {
  p[0] = static_cast<uint8_t>(value);
  p[1] = static_cast<uint8_t>(value >> 8);
  p[2] = static_cast<uint8_t>(value >> 16);
  p[3] = static_cast<uint8_t>(value >> 24);
}

// One 64-byte block. The loop is written as the RFC states it; full unrolling lets the
// compiler fold the round selection, word index and rotation into constants per step.
void ProcessBlock(State& state, const uint8_t* block) {
  uint32_t words[16];
  for (int i = 0; i < 16; ++i) words[i] = LoadLittleEndian32(block + 4 * i);

  uint32_t a = state.a, b = state.b, c = state.c, d = state.d;
#pragma GCC unroll 64
  for (int step = 0; step < 64; ++step) {
    int round = step / 16;
    uint32_t mixed;
    int wordIndex;
    if (round == 0) {
      mixed = d ^ (b & (c ^ d));  // (b & c) | (~b & d)
      wordIndex = step;
    } else if (round == 1) {
      mixed = c ^ (d & (b ^ c));  // (b & d) | (c & ~d)
      wordIndex = (5 * step + 1) % 16;
    } else if (round == 2) {
      mixed = b ^ c ^ d;
      wordIndex = (3 * step + 5) % 16;
    } else {
      mixed = c ^ (b | ~d);
      wordIndex = (7 * step) % 16;
    }
    uint32_t rotated = RotateLeft(a + mixed + SINE_TABLE[step] + words[wordIndex], ROTATIONS[round][step % 4]);
    a = d;
    d = c;
    c = b;
    b = b + rotated;
  }
  state.a += a;
  state.b += b;
  state.c += c;
  state.d += d;
}

// Hashes whole blocks straight from data, then the tail with its padding (0x80, zeros,
// the bit length) from a stack buffer: one block if the tail leaves room for the
// length field, two otherwise.
State Digest(const uint8_t* data, size_t length) {
  State state;
  size_t wholeBytes = length - length % BLOCK_BYTES;
  for (size_t offset = 0; offset < wholeBytes; offset += BLOCK_BYTES) ProcessBlock(state, data + offset);

  uint8_t tail[2 * BLOCK_BYTES] = {};
  size_t tailBytes = length - wholeBytes;
  if (tailBytes > 0) std::memcpy(tail, data + wholeBytes, tailBytes);
  tail[tailBytes] = 0x80;
  size_t tailBlocks = tailBytes < LENGTH_FIELD_OFFSET ? 1 : 2;
  uint64_t bitLength = static_cast<uint64_t>(length) * 8;
  uint8_t* lengthField = tail + (tailBlocks - 1) * BLOCK_BYTES + LENGTH_FIELD_OFFSET;
  StoreLittleEndian32(static_cast<uint32_t>(bitLength), lengthField);
  StoreLittleEndian32(static_cast<uint32_t>(bitLength >> 32), lengthField + 4);
  for (size_t block = 0; block < tailBlocks; ++block) ProcessBlock(state, tail + block * BLOCK_BYTES);
  return state;
}

// md5Batch(data: Uint8Array, offsets: Uint32Array, count: number, out: Uint32Array)
// Key i is data[offsets[i] .. offsets[i + 1]); out[i] = Md5Prefix32(key i). Every
// offset is checked before any key is hashed, so a bad call leaves out untouched.
void Md5Batch(const Napi::CallbackInfo& info) {
  constexpr const char* FUNCTION = "md5Batch";
  auto data = args::Uint8ArrayArg(info, 0, FUNCTION, "data");
  auto offsets = args::Uint32ArrayArg(info, 1, FUNCTION, "offsets");
  size_t count = args::Uint32Arg(info, 2, FUNCTION, "count", 0);
  auto out = args::Uint32ArrayArg(info, 3, FUNCTION, "out");
  Napi::Env env = info.Env();

  if (offsets.length < count + 1) {
    throw Napi::RangeError::New(env, "md5Batch: offsets has " + std::to_string(offsets.length) +
                                         " entries; count " + std::to_string(count) + " needs count + 1");
  }
  if (out.length < count) {
    throw Napi::RangeError::New(env, "md5Batch: out has " + std::to_string(out.length) + " entries; count is " +
                                         std::to_string(count));
  }
  for (size_t i = 0; i < count; ++i) {
    if (offsets.data[i + 1] < offsets.data[i]) {
      throw Napi::RangeError::New(env, "md5Batch: offsets must not decrease, but offsets[" + std::to_string(i + 1) +
                                           "] = " + std::to_string(offsets.data[i + 1]) + " < offsets[" +
                                           std::to_string(i) + "] = " + std::to_string(offsets.data[i]));
    }
  }
  if (offsets.data[count] > data.length) {
    throw Napi::RangeError::New(env, "md5Batch: offsets[" + std::to_string(count) + "] = " +
                                         std::to_string(offsets.data[count]) + " is past the end of data (" +
                                         std::to_string(data.length) + " bytes)");
  }

  for (size_t i = 0; i < count; ++i) {
    uint32_t start = offsets.data[i];
    out.data[i] = Md5Prefix32(data.data + start, offsets.data[i + 1] - start);
  }
}

// md5Into(data: Uint8Array, out: Uint8Array, outOffset: number)
void Md5Into(const Napi::CallbackInfo& info) {
  constexpr const char* FUNCTION = "md5Into";
  auto data = args::Uint8ArrayArg(info, 0, FUNCTION, "data");
  auto out = args::Uint8ArrayArg(info, 1, FUNCTION, "out");
  size_t outOffset = args::Uint32Arg(info, 2, FUNCTION, "outOffset", 0);
  if (outOffset + MD5_DIGEST_BYTES > out.length) {
    throw Napi::RangeError::New(info.Env(), "md5Into: out has " + std::to_string(out.length) +
                                                " bytes; a digest at outOffset " + std::to_string(outOffset) +
                                                " needs " + std::to_string(outOffset + MD5_DIGEST_BYTES));
  }
  Md5(data.data, data.length, out.data + outOffset);
}

}  // namespace

void Md5(const uint8_t* data, size_t length, uint8_t* digest) {
  State state = Digest(data, length);
  StoreLittleEndian32(state.a, digest);
  StoreLittleEndian32(state.b, digest + 4);
  StoreLittleEndian32(state.c, digest + 8);
  StoreLittleEndian32(state.d, digest + 12);
}

// The digest's first 4 bytes are state.a stored little-endian; reading them big-endian
// is therefore a byte swap of state.a.
uint32_t Md5Prefix32(const uint8_t* data, size_t length) {
  uint32_t a = Digest(data, length).a;
  return (a & 0xff) << 24 | (a & 0xff00) << 8 | (a >> 8 & 0xff00) | a >> 24;
}

void RegisterMd5(Napi::Env env, Napi::Object exports) {
  exports.Set("md5Batch", Napi::Function::New(env, Md5Batch, "md5Batch"));
  exports.Set("md5Into", Napi::Function::New(env, Md5Into, "md5Into"));
}

}  // namespace ringkv
