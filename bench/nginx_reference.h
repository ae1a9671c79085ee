// The reference server of the HTTP benchmark: nginx (Debian's nginx-light)
// answering `return 204` to every request, configured in the work directory:
// one worker, no access log, error log, pid file and temp paths in the work
// directory, keep-alive connections never closed by nginx during a run. Only
// 127.0.0.1. Its master leads its own process group, so that a failure
// (Die()) or Stop() also ends the worker.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace offerledger::bench {

class NginxReference {
 public:
  // Writes DIR/nginx.conf and starts `nginx -c DIR/nginx.conf -p DIR/ -e DIR/error.log`
  // on a free port; Die()s if it is not listening within 5 s.
  NginxReference(const std::string& nginx, const std::filesystem::path& dir);
  ~NginxReference();  // Stop()
  NginxReference(const NginxReference&) = delete;
  NginxReference& operator=(const NginxReference&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& version() const { return version_; }
  // CPU seconds used so far by nginx: its master and its worker.
  double CpuSeconds() const;
  // SIGQUIT (graceful), then SIGKILL to the group if it has not exited in 5 s.
  void Stop();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string version_;
};

// A port on 127.0.0.1 that was free a moment ago.
std::uint16_t FreePort();

// Whether a TCP connection to 127.0.0.1:port succeeds.
bool CanConnect(std::uint16_t port);

}  // namespace offerledger::bench
