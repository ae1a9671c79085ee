// Start-up timing of `offerledger serve` (http_bench): from spawn to its
// first stdout line ("listening on ...") and to the first 200 from /healthz,
// and its idle RSS then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace offerledger::bench {

struct StartupResult {
  std::size_t packages = 0;
  bool reused = false;
  double build_s = 0;
  std::int64_t db_bytes = 0;
  std::vector<double> first_line_ms, healthy_ms, idle_rss_kb;
  std::vector<std::string> errors;
};

// One start of `bin serve` on the SQLite file `db`, its stderr in
// DIR/startup-K.err: appends its times and RSS to `r`, and an error when it
// does not exit 0 on SIGTERM. Die()s when it never gets that far.
void TimeStart(const std::string& bin, const std::filesystem::path& db,
               const std::filesystem::path& dir, int k, StartupResult& r);

}  // namespace offerledger::bench
