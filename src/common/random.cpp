#include "common/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace offerledger {

namespace {

void FillFromOpenSsl(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    std::fputs("offerledger: the CSPRNG failed; refusing to continue\n", stderr);
    std::abort();
  }
}

// RAND_bytes costs about a microsecond per call whatever the size (OpenSSL's
// CTR-DRBG re-keys its cipher and checks for a fork on every call), and one
// quote package takes an id, a token and a quote id. So each thread draws
// kPoolSize bytes at a time and hands them out in order, each byte once:
// wiped as it is handed out, and the rest when the thread ends. A forked
// child throws away the pool it inherited (the generation below), so parent
// and child never hand out the same bytes.
constexpr std::size_t kPoolSize = 512;

std::atomic<std::uint64_t> fork_generation{0};

struct Pool {
  unsigned char bytes[kPoolSize];
  std::size_t next = kPoolSize;  // bytes[next..] not handed out yet
  std::uint64_t generation = 0;
  ~Pool() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

void WatchForks() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); });
    return true;
  }();
  (void)registered;
}

}  // namespace

void SecureRandomBytes(unsigned char* out, std::size_t n) {
  if (n > kPoolSize / 4) {  // large requests (none on the hot paths): directly
    FillFromOpenSsl(out, n);
    return;
  }
  WatchForks();
  thread_local Pool pool;
  const std::uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (pool.generation != generation) {  // in a forked child: not ours to use
    OPENSSL_cleanse(pool.bytes, sizeof pool.bytes);
    pool.next = kPoolSize;
    pool.generation = generation;
  }
  if (kPoolSize - pool.next < n) {
    FillFromOpenSsl(pool.bytes, kPoolSize);
    pool.next = 0;
  }
  std::memcpy(out, pool.bytes + pool.next, n);
  OPENSSL_cleanse(pool.bytes + pool.next, n);
  pool.next += n;
}

std::string RandomString(std::size_t n, std::string_view alphabet) {
  // Reject bytes at or above the largest multiple of the alphabet size, so
  // every character is equally likely.
  const std::size_t k = alphabet.size();
  const std::size_t limit = 256 - (256 % k);
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  while (out.size() < n) {
    // A few bytes more than the characters still missing, for the rejected ones.
    const std::size_t want = std::min(sizeof buf, n - out.size() + 8);
    SecureRandomBytes(buf, want);
    for (std::size_t i = 0; i < want && out.size() < n; ++i) {
      if (buf[i] >= limit) continue;
      out.push_back(alphabet[buf[i] % k]);
    }
  }
  OPENSSL_cleanse(buf, sizeof buf);
  return out;
}

}  // namespace offerledger
