// LD_PRELOAD shim for Lambda arm64, whose sandbox has no
// /sys/devices/system/cpu/possible or /present. XNNPACK's cpuinfo reads them
// to count processors and, finding them missing, fails to initialize, so
// TfLiteXNNPackDelegateCreate returns NULL and every model runs about 7x
// slower on TFLite's built-in kernels.
//
// When opening one of those two files fails with ENOENT, the shim answers with
// an in-memory file holding what the kernel would write ("0-N\n"), N from the
// CPUs this process may run on. Every other open, and every open of a file
// that exists, goes to libc untouched. Switched on by /opt/tfls-exec-wrapper
// (AWS_LAMBDA_EXEC_WRAPPER), which prepends this library to LD_PRELOAD.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static int is_cpu_list(const char *path) {
  return path != NULL && (strcmp(path, "/sys/devices/system/cpu/possible") == 0 ||
                          strcmp(path, "/sys/devices/system/cpu/present") == 0);
}

static int cpu_count(void) {
  long count = sysconf(_SC_NPROCESSORS_CONF);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > count) count = CPU_COUNT(&set);
  return count > 0 ? (int)count : 1;
}

// A sealed-in-spirit memfd positioned at 0, holding the kernel's cpulist format.
static int cpu_list_fd(int flags) {
  char text[32];
  int count = cpu_count();
  int length = count > 1 ? snprintf(text, sizeof text, "0-%d\n", count - 1) : snprintf(text, sizeof text, "0\n");
  int fd = memfd_create("tfls-cpu-list", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
  if (fd < 0) return -1;
  if (write(fd, text, (size_t)length) != length || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    errno = ENOENT;
    return -1;
  }
  return fd;
}

static int answer(int result, const char *path, int flags) {
  if (result >= 0 || errno != ENOENT || !is_cpu_list(path) || (flags & O_ACCMODE) != O_RDONLY) return result;
  return cpu_list_fd(flags);
}

static mode_t mode_of(int flags, va_list args) {
  return ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? (mode_t)va_arg(args, int) : 0;
}

#define REAL(name, type) static type real_##name; if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef FILE *(*fopen_fn)(const char *, const char *);

EXPORT int open(const char *path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  REAL(open, open_fn);
  return answer(real_open(path, flags, mode), path, flags);
}

EXPORT int open64(const char *path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  REAL(open64, open_fn);
  return answer(real_open64(path, flags, mode), path, flags);
}

EXPORT int openat(int dir, const char *path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  REAL(openat, openat_fn);
  return answer(real_openat(dir, path, flags, mode), path, flags);
}

EXPORT int openat64(int dir, const char *path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  REAL(openat64, openat_fn);
  return answer(real_openat64(dir, path, flags, mode), path, flags);
}

static FILE *answer_file(FILE *file, const char *path, const char *mode) {
  if (file != NULL || errno != ENOENT || !is_cpu_list(path) || mode[0] != 'r' || strchr(mode, '+') != NULL)
    return file;
  int fd = cpu_list_fd(strchr(mode, 'e') ? O_CLOEXEC : 0);
  return fd < 0 ? NULL : fdopen(fd, "r");
}

EXPORT FILE *fopen(const char *path, const char *mode) {
  REAL(fopen, fopen_fn);
  return answer_file(real_fopen(path, mode), path, mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode) {
  REAL(fopen64, fopen_fn);
  return answer_file(real_fopen64(path, mode), path, mode);
}
