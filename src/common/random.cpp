#include "common/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace offerledger {

void SecureRandomBytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    std::fputs("offerledger: the CSPRNG failed; refusing to continue\n", stderr);
    std::abort();
  }
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
    SecureRandomBytes(buf, sizeof buf);
    for (unsigned char b : buf) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % k]);
      if (out.size() == n) break;
    }
  }
  return out;
}

}  // namespace offerledger
