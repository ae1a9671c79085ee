// Cryptographically secure randomness (OpenSSL's CSPRNG): ids, tokens and
// secrets must be unguessable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace offerledger {

// Fills `out` with `n` random bytes; aborts if the CSPRNG fails (never
// falls back to a weak source). Small requests are served from a per-thread
// pool that OpenSSL refills 512 bytes at a time (each byte handed out once,
// never across fork()): RAND_bytes' cost is per call, not per byte.
void SecureRandomBytes(unsigned char* out, std::size_t n);

// A string of `n` characters drawn uniformly (rejection sampling, no modulo
// bias) from `alphabet`.
std::string RandomString(std::size_t n, std::string_view alphabet);

}  // namespace offerledger
