// SecureRandomBytes hands out OpenSSL's bytes from a per-thread pool: each
// byte once, never the same ones in two threads or in a parent and its
// forked child.
#include "common/random.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

using Block = std::array<unsigned char, 16>;

Block Draw() {
  Block b{};
  SecureRandomBytes(b.data(), b.size());
  return b;
}

// 128-bit values: any repeat means bytes were handed out twice.
TEST(SecureRandomBytesTest, NoValueTwiceAcrossRefills) {
  std::set<Block> seen;
  for (int i = 0; i < 5000; ++i) EXPECT_TRUE(seen.insert(Draw()).second) << i;
}

TEST(SecureRandomBytesTest, OddSizesAndLargeRequests) {
  std::set<std::string> seen;
  for (std::size_t n : {1u, 3u, 17u, 100u, 128u, 129u, 511u, 512u, 513u, 4096u}) {
    std::string buf(n, '\0');
    SecureRandomBytes(reinterpret_cast<unsigned char*>(buf.data()), n);
    if (n >= 16) {
      EXPECT_TRUE(seen.insert(buf).second) << n;
    }
    if (n >= 64) {
      EXPECT_NE(buf, std::string(n, '\0')) << n;
    }
  }
}

TEST(SecureRandomBytesTest, ThreadsGetDistinctBytes) {
  std::mutex mu;
  std::set<Block> seen;
  int repeats = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<Block> mine;
      for (int i = 0; i < 2000; ++i) mine.push_back(Draw());
      std::lock_guard<std::mutex> lock(mu);
      for (const Block& b : mine) repeats += seen.insert(b).second ? 0 : 1;
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(repeats, 0);
  EXPECT_EQ(seen.size(), 8000u);
}

// The pool is warm (most of it not yet handed out) when the process forks:
// the child must not hand out what the parent hands out next.
TEST(SecureRandomBytesTest, ForkedChildDoesNotRepeatTheParent) {
  Draw();  // the pool now holds ~496 bytes not handed out yet
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    const Block b = Draw();
    const bool ok = write(fds[1], b.data(), b.size()) == static_cast<ssize_t>(b.size());
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  const Block parent = Draw();
  Block child{};
  ASSERT_EQ(read(fds[0], child.data(), child.size()), static_cast<ssize_t>(child.size()));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(parent, child);
}

TEST(RandomStringTest, LengthAndAlphabet) {
  for (std::size_t n : {0u, 1u, 5u, 20u, 48u, 100u}) {
    const std::string s = RandomString(n, "ab");
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.find_first_not_of("ab"), std::string::npos) << s;
  }
  // A 62-character alphabet rejects bytes 248-255: long strings still come out whole.
  const std::string s =
      RandomString(1000, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(s.size(), 1000u);
}

}  // namespace
}  // namespace offerledger
