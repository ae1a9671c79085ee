// The gtest fixture most integration tests share: a fresh temp dir and
// database, partner LLODT created with the CLI, and one running server.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace itest {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = env_.AddPartner("LLODT");
    ASSERT_FALSE(a_.key.empty());
    server_ = env_.StartServer(ServerArgs());
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(server_->port(), a_);
  }

  // Extra `serve` flags for fixtures that need them.
  virtual std::vector<std::string> ServerArgs() const { return {}; }

  const Client& c() const { return *client_; }
  std::uint16_t port() const { return server_->port(); }

  Env env_;
  Credentials a_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace itest
