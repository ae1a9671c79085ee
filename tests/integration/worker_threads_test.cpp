// With SQLite the server's event loop runs on few threads (--io-threads,
// one per core by default) and the writes that wait for their commit run on
// the --threads workers (PartnerRoutes::SetOffload, docs/deploy.md
// "Threads"). What that must guarantee: a booking waiting for a slow commit
// holds no event-loop thread, so reads on the same connection pool keep
// being answered, even with a single event-loop thread.
//
// The slow commit is real: support/fault_shim.cpp, LD_PRELOADed into the
// server, makes every fsync/fdatasync of the database files take 2 s longer
// while its control file says "SLOW".
#include <chrono>
#include <fstream>
#include <future>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "integration/shim_environment.h"

namespace itest {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

TEST(WorkerThreads, AReadIsAnsweredWhileABookingWaitsForItsCommit) {
  Env env;
  if (env.postgres()) GTEST_SKIP() << "--io-threads is SQLite's; PostgreSQL serves on the workers";
  const Credentials a = env.AddPartner("LLWRK");
  const std::filesystem::path control = env.dir() / "slow-sync";
  std::unique_ptr<ServerProcess> server;
  {
    const ShimEnvironment shim(env.db_file(), control);
    server = env.StartServer({"--io-threads", "1", "--threads", "2"});
  }
  ASSERT_NE(server, nullptr);
  const Client client(server->port(), a);
  const json::object booked = client.CreateQuote();
  const json::object read = client.CreateQuote();
  const std::string read_path = "quotes/" + Str(read, {"id"}) + "/";
  ASSERT_EQ(client.Get(read_path).status, 200);

  // From now on every commit waits 2 s more on its fsync.
  { std::ofstream(control) << "SLOW"; }
  const auto booking_start = Clock::now();
  auto booking = std::async(std::launch::async, [&] {
    return client.Post("bookings/" + Str(booked, {"id"}), BookingBodyFor(booked));
  });
  // Let the booking reach the writer and its slow commit.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(booking.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the booking answered before its slow commit could have finished";

  const auto read_start = Clock::now();
  const HttpReply got = client.Get(read_path);
  const auto read_took = Clock::now() - read_start;
  EXPECT_EQ(got.status, 200) << got.Describe();
  EXPECT_EQ(Str(got.Json(), {"id"}), Str(read, {"id"}));
  // Answered while the booking still waits: well inside the 2 s fsync.
  EXPECT_LT(read_took, std::chrono::milliseconds(1200))
      << "a read waited for the booking's commit on the single event-loop thread";
  EXPECT_EQ(booking.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the booking was no longer waiting when the read was answered";

  std::filesystem::remove(control);
  const HttpReply b = booking.get();
  EXPECT_EQ(b.status, 200) << b.Describe();
  // The booking really waited for the slow commit (so the read above ran
  // beside a waiting write).
  EXPECT_GE(Clock::now() - booking_start, std::chrono::milliseconds(1900));
  EXPECT_EQ(client.Get("bookings/" + Str(booked, {"id"})).status, 200);
}

}  // namespace
}  // namespace itest
