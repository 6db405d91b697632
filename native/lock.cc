// flockExclusive takes the data directory's lock: an exclusive advisory flock(2) on an open
// file, without waiting. The kernel ties the lock to the open file description, so it is
// released when the descriptor is closed or the process ends in any way (a SIGKILL
// included), and a second open() of the same file conflicts even within one process.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>

#ifndef _WIN32
#include <sys/file.h>
#endif

#include "md5.h"

namespace ringkv {
namespace {

// flockExclusive(fd: number): boolean. True when the lock was taken, false when another
// open file description holds it; throws on any other failure (a bad descriptor, ENOLCK).
Napi::Value FlockExclusive(const Napi::CallbackInfo& info) {
  constexpr const char* FUNCTION = "flockExclusive";
  int fd = static_cast<int>(args::Uint32Arg(info, 0, FUNCTION, "fd", 0));
  Napi::Env env = info.Env();
#ifdef _WIN32
  (void)fd;
  throw Napi::Error::New(env, "flockExclusive: not supported on Windows");
#else
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  throw Napi::Error::New(env, std::string(FUNCTION) + ": " + std::strerror(errno));
#endif
}

}  // namespace

void RegisterLock(Napi::Env env, Napi::Object exports) {
  exports.Set("flockExclusive", Napi::Function::New(env, FlockExclusive, "flockExclusive"));
}

}  // namespace ringkv
