// Merkle tree levels for anti-entropy: merkleParents hashes one level of child hashes
// into the level above in a single call, so a tree of any height is built (or a changed
// branch rehashed) with one N-API crossing per level rather than one per node.
#include "md5.h"

namespace ringkv {
namespace {

// merkleParents(children: Uint8Array, childCount: number, fanout: number, out: Uint8Array)
// Parent j = MD5(children j*fanout .. min((j+1)*fanout, childCount) - 1), 16 bytes each,
// which lie back to back in children, so each parent is one contiguous hash. The last
// parent takes whatever children are left over.
//
// out may be children itself: parent j is written at slot j only after it has been
// computed, and every child it overwrites (child j) belongs to parent j / fanout <= j,
// which is already done. A tree can so be reduced in place, level by level.
void MerkleParents(const Napi::CallbackInfo& info) {
  constexpr const char* FUNCTION = "merkleParents";
  auto children = args::Uint8ArrayArg(info, 0, FUNCTION, "children");
  size_t childCount = args::Uint32Arg(info, 1, FUNCTION, "childCount", 0);
  size_t fanout = args::Uint32Arg(info, 2, FUNCTION, "fanout", 1);
  auto out = args::Uint8ArrayArg(info, 3, FUNCTION, "out");
  Napi::Env env = info.Env();

  size_t childBytes = childCount * MD5_DIGEST_BYTES;
  if (children.length < childBytes) {
    throw Napi::RangeError::New(env, "merkleParents: children has " + std::to_string(children.length) +
                                         " bytes; childCount " + std::to_string(childCount) + " needs " +
                                         std::to_string(childBytes));
  }
  size_t parentCount = (childCount + fanout - 1) / fanout;
  if (out.length < parentCount * MD5_DIGEST_BYTES) {
    throw Napi::RangeError::New(env, "merkleParents: out has " + std::to_string(out.length) + " bytes; " +
                                         std::to_string(parentCount) + " parents need " +
                                         std::to_string(parentCount * MD5_DIGEST_BYTES));
  }

  for (size_t parent = 0; parent < parentCount; ++parent) {
    size_t first = parent * fanout;
    size_t end = first + fanout < childCount ? first + fanout : childCount;
    Md5(children.data + first * MD5_DIGEST_BYTES, (end - first) * MD5_DIGEST_BYTES,
        out.data + parent * MD5_DIGEST_BYTES);
  }
}

}  // namespace

void RegisterMerkle(Napi::Env env, Napi::Object exports) {
  exports.Set("merkleParents", Napi::Function::New(env, MerkleParents, "merkleParents"));
}

}  // namespace ringkv
