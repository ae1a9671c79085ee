// A fault-injection shim for the disk-full, read-only and failing-read tests
// (tests/integration/disk_full_test.cpp), LD_PRELOADed into the server.
//
// While the file named by OL_FAULT_CONTROL exists, every call that writes to
// or grows a file whose path starts with OL_FAULT_PREFIX fails: with EROFS
// when the control file's first bytes are "EROFS", else with ENOSPC (a full
// disk). When they are "EIO" or "ESTALE", reads of those files fail instead
// (pread64, read) with that errno, and writes pass. The test creates and removes the control file
// from outside the server, so the fault starts and ends (space "returns") while it runs. Other
// files (the server's log, sockets) are never touched. When the control file says "SLOW", nothing
// fails: every fsync/fdatasync of those files takes kSlowSyncMicros longer (a commit that waits
// on a slow disk; tests/integration/worker_threads_test.cpp).
//
// Why not a small tmpfs or chmod: CI runs the tests as root in a container,
// where mount is not permitted and permissions do not stop root. The calls
// covered are those SQLite's unix VFS makes (write, pwrite64, fdatasync,
// ftruncate64; `nm -D libsqlite3.so`) and their siblings; statvfs reports
// the file system read-only (ST_RDONLY) or full (no blocks available), as
// the kernel would.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

// FaultForPath's answer for "SLOW": not an errno (those are positive).
constexpr int kSlowSync = -1;
constexpr useconds_t kSlowSyncMicros = 2'000'000;

// The errno to inject for `path`, or 0 to let the call through. EIO or
// ESTALE (the control file says "EIO" or "ESTALE") fail reads only; ENOSPC
// and EROFS fail writes only.
int FaultForPath(const char* path) {
  const char* control = std::getenv("OL_FAULT_CONTROL");
  const char* prefix = std::getenv("OL_FAULT_PREFIX");
  if (control == nullptr || prefix == nullptr || *prefix == '\0' || path == nullptr) return 0;
  if (std::strncmp(path, prefix, std::strlen(prefix)) != 0) return 0;
  struct stat st;
  if (::stat(control, &st) != 0) return 0;
  int err = ENOSPC;
  const int cfd = ::open(control, O_RDONLY | O_CLOEXEC);
  if (cfd >= 0) {
    char word[8] = {};
    const ssize_t n = ::read(cfd, word, 5);
    if (n == 5 && std::memcmp(word, "EROFS", 5) == 0) err = EROFS;
    if (n >= 3 && std::memcmp(word, "EIO", 3) == 0) err = EIO;
    if (n >= 5 && std::memcmp(word, "ESTAL", 5) == 0) err = ESTALE;
    if (n >= 4 && std::memcmp(word, "SLOW", 4) == 0) err = kSlowSync;
    ::close(cfd);
  }
  return err;
}

// EIO and ESTALE fail reads (a failing disk, a stale network file system
// handle); the others fail writes.
bool IsReadFault(int e) { return e == EIO || e == ESTALE; }

// The errno to inject for `fd`, or 0 to let the call through.
int FaultFor(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char path[4096];
  const ssize_t n = ::readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return FaultForPath(path);
}

// statvfs as the kernel reports a full (no blocks available) or read-only
// (ST_RDONLY) file system.
void Fake(const char* path, struct statvfs* buf) {
  if (int e = FaultForPath(path)) {
    if (e == EROFS) buf->f_flag |= ST_RDONLY;
    if (e == ENOSPC) buf->f_bavail = buf->f_bfree = 0;
  }
}

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

#define OL_FAIL_IF_FAULTED(fd, ret)                       \
  do {                                                    \
    if (int e = FaultFor(fd); e > 0 && !IsReadFault(e)) { \
      errno = e;                                          \
      return ret;                                         \
    }                                                     \
  } while (0)

#define OL_FAIL_READ_IF_FAULTED(fd, ret)        \
  do {                                          \
    if (int e = FaultFor(fd); IsReadFault(e)) { \
      errno = e;                                \
      return ret;                               \
    }                                           \
  } while (0)

extern "C" {

// Reads: what SQLite's unix VFS calls (pread64, read), and pread.
ssize_t read(int fd, void* buf, size_t n) {
  static auto next = Next<ssize_t (*)(int, void*, size_t)>("read");
  OL_FAIL_READ_IF_FAULTED(fd, -1);
  return next(fd, buf, n);
}

ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  static auto next = Next<ssize_t (*)(int, void*, size_t, off_t)>("pread");
  OL_FAIL_READ_IF_FAULTED(fd, -1);
  return next(fd, buf, n, off);
}

ssize_t pread64(int fd, void* buf, size_t n, off64_t off) {
  static auto next = Next<ssize_t (*)(int, void*, size_t, off64_t)>("pread64");
  OL_FAIL_READ_IF_FAULTED(fd, -1);
  return next(fd, buf, n, off);
}

ssize_t write(int fd, const void* buf, size_t n) {
  static auto next = Next<ssize_t (*)(int, const void*, size_t)>("write");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  static auto next = Next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  static auto next = Next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  static auto next = Next<ssize_t (*)(int, const struct iovec*, int)>("writev");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, iov, count);
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t off) {
  static auto next = Next<ssize_t (*)(int, const struct iovec*, int, off_t)>("pwritev");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, iov, count, off);
}

int fsync(int fd) {
  static auto next = Next<int (*)(int)>("fsync");
  if (FaultFor(fd) == kSlowSync) ::usleep(kSlowSyncMicros);
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd);
}

int fdatasync(int fd) {
  static auto next = Next<int (*)(int)>("fdatasync");
  if (FaultFor(fd) == kSlowSync) ::usleep(kSlowSyncMicros);
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd);
}

int ftruncate(int fd, off_t len) {
  static auto next = Next<int (*)(int, off_t)>("ftruncate");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, len);
}

int ftruncate64(int fd, off64_t len) {
  static auto next = Next<int (*)(int, off64_t)>("ftruncate64");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  static auto next = Next<int (*)(int, int, off_t, off_t)>("fallocate");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off64_t off, off64_t len) {
  static auto next = Next<int (*)(int, int, off64_t, off64_t)>("fallocate64");
  OL_FAIL_IF_FAULTED(fd, -1);
  return next(fd, mode, off, len);
}

// posix_fallocate returns the error instead of setting errno.
int posix_fallocate(int fd, off_t off, off_t len) {
  static auto next = Next<int (*)(int, off_t, off_t)>("posix_fallocate");
  if (int e = FaultFor(fd); e > 0) return e;
  return next(fd, off, len);
}

int posix_fallocate64(int fd, off64_t off, off64_t len) {
  static auto next = Next<int (*)(int, off64_t, off64_t)>("posix_fallocate64");
  if (int e = FaultFor(fd); e > 0) return e;
  return next(fd, off, len);
}

int statvfs(const char* path, struct statvfs* buf) {
  static auto next = Next<int (*)(const char*, struct statvfs*)>("statvfs");
  const int rc = next(path, buf);
  if (rc == 0) Fake(path, buf);
  return rc;
}

int statvfs64(const char* path, struct statvfs64* buf) {
  static auto next = Next<int (*)(const char*, struct statvfs64*)>("statvfs64");
  const int rc = next(path, buf);
  if (rc == 0) Fake(path, reinterpret_cast<struct statvfs*>(buf));
  return rc;
}

}  // extern "C"
