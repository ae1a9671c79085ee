// Running wrk (Debian's `wrk`, LuaJIT) with one of the bench/wrk/*.lua
// scenario scripts, and reading the JSON summary the script's done() writes
// (never wrk's text output). See bench/wrk/common.lua for what the scripts
// send and count.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "load_support.h"

namespace offerledger::bench {

// argv[0] for a program: `name` if it holds a '/', else the first executable
// found on $PATH, /usr/sbin or /sbin; "" if none.
std::string FindProgram(const std::string& name);

struct WrkOptions {
  std::string wrk;                // the binary
  std::filesystem::path scripts;  // bench/wrk
  int threads = 2;                // -t
  int connections = 64;           // -c
  double seconds = 10;            // -d
  int timeout_s = 10;             // --timeout: slower answers count as timeouts
};

// One thread's contiguous slice of the ids file, and how many requests the
// thread handed to wrk (opt-out: the first `sent` ids of the slice).
struct WrkSlice {
  std::size_t first = 0;  // 0-based index into the ids file
  std::size_t size = 0;
  std::size_t sent = 0;
};

struct WrkResult {
  std::string scenario;
  bool reference = false;
  double seconds = 0;                                     // wrk's measured duration
  std::uint64_t requests = 0;                             // responses wrk completed
  std::uint64_t s200 = 0, s201 = 0, s204 = 0, other = 0;  // by status, as the script counted
  std::uint64_t unusable = 0;  // expected status, but the script could not use the body
  std::uint64_t sent = 0;      // requests the script handed to wrk
  bool exhausted = false;      // a thread ran out of ids
  double mean_us = 0;
  std::uint64_t max_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0;
  std::uint64_t connect_errors = 0, read_errors = 0, write_errors = 0, timeouts = 0;
  std::string first_error;  // the first unexpected answer, "status 401: {...}"
  double cpu_seconds = 0;   // wrk's own CPU time (user + system) over the run
  std::vector<WrkSlice> slices;
  boost::json::object raw;  // the script's JSON

  std::uint64_t ok() const { return s200 + s201 + s204; }
  // wrk's CPU time per response: the load generator's share of the machine.
  double cpu_us_per_response() const {
    return requests > 0 ? cpu_seconds / static_cast<double>(requests) * 1e6 : 0;
  }
  double ok_per_second() const { return seconds > 0 ? static_cast<double>(ok()) / seconds : 0; }
  std::uint64_t socket_errors() const {
    return connect_errors + read_errors + write_errors + timeouts;
  }
  // Requests sent whose answer wrk never read: in flight when it stopped
  // at its deadline (at most one per connection), or lost with a socket error.
  std::uint64_t unanswered() const { return sent > requests ? sent - requests : 0; }
};

// Runs `wrk -tT -cC -dDs --timeout Ns -s SCRIPTS/SCENARIO.lua http://127.0.0.1:PORT
// -- ARGS threads=T out=OUT` with the credentials in the environment, its
// output in LOG.{out,err}; waits for it (Die()s if it takes over its duration
// + 60 s, or fails) and reads OUT.
WrkResult RunWrk(const WrkOptions& options, const std::string& scenario, std::uint16_t port,
                 const std::vector<std::string>& args, const Credentials& creds,
                 const std::filesystem::path& out_json, const std::filesystem::path& log);

boost::json::object WrkJson(const WrkResult& r);

}  // namespace offerledger::bench
