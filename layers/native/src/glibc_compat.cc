// Lambda's Node runtimes run on Amazon Linux 2023, whose glibc is 2.34; the
// build host's is newer. The statically linked libstdc++ of GCC 12 calls
// arc4random (glibc 2.36) in std::random_device, which would make the addon
// fail to load there with "version `GLIBC_2.36' not found". This definition,
// hidden inside the addon, satisfies that reference with getrandom (2.25).
// npm run check:layer fails the build if a newer symbol version slips in again.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>

extern "C" uint32_t arc4random(void) {
  uint32_t value = 0;
  for (;;) {
    ssize_t got = getrandom(&value, sizeof value, 0);
    if (got == static_cast<ssize_t>(sizeof value)) return value;
    if (got < 0 && errno != EINTR) return value ^ static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&value));
  }
}
