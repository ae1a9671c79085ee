// The environment that makes the next server start with the fault shim
// (tests/support/fault_shim.cpp) LD_PRELOADed: the files it may fail or slow
// down (a path prefix) and the control file that switches it on.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace itest {

// Sets the variables that make the next server start with the fault shim,
// and restores the environment (for the CLI and later servers) when done.
class ShimEnvironment {
 public:
  ShimEnvironment(const std::filesystem::path& prefix, const std::filesystem::path& control) {
    Set("LD_PRELOAD", OL_FAULT_SHIM_PATH);
    Set("OL_FAULT_PREFIX", prefix.string());
    Set("OL_FAULT_CONTROL", control.string());
    // Under ASan the runtime insists on being the first preloaded library.
    const char* asan = getenv("ASAN_OPTIONS");
    Set("ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") +
                            (asan != nullptr && *asan != '\0' ? ":" : "") +
                            "verify_asan_link_order=0");
  }
  ~ShimEnvironment() {
    for (const auto& [name, old] : saved_) {
      if (old) {
        setenv(name.c_str(), old->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  void Set(const std::string& name, const std::string& value) {
    const char* old = getenv(name.c_str());
    saved_.emplace_back(name, old != nullptr ? std::optional<std::string>(old) : std::nullopt);
    setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace itest
