// HttpServer's asynchronous handler, in process: a request whose answer
// comes later, from another thread, holds no server thread while it waits,
// and a graceful stop waits for it.
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

using namespace std::chrono_literals;

// Sends one HTTP/1.1 request on a fresh connection and returns the whole
// response ("" on a transport error or after `guard`).
std::string Exchange(std::uint16_t port, const std::string& path, std::chrono::seconds guard) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{static_cast<time_t>(guard.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return "";
  }
  std::string out;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// Holds every request's Respond until `n` requests are waiting, then
// answers them all from a thread of its own, each with its own path.
class Gate {
 public:
  explicit Gate(std::size_t n) : n_(n) {}

  void Hold(HttpRequest req, HttpServer::Respond respond) {
    std::lock_guard lock(mu_);
    held_.emplace_back(std::move(req.target), std::move(respond));
    if (held_.size() == n_) cv_.notify_all();
  }

  // Waits (at most `guard`) for `n` held requests; answers them if they came.
  bool ReleaseWhenFull(std::chrono::seconds guard) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, guard, [&] { return held_.size() == n_; })) return false;
    auto held = std::move(held_);
    lock.unlock();
    std::thread answerer([held = std::move(held)]() mutable {
      for (auto& [target, respond] : held) {
        HttpResponse res;
        res.status = 200;
        res.body = "answered " + target;
        respond(std::move(res));
        respond(HttpResponse{});  // a second answer is ignored
      }
    });
    answerer.join();
    return true;
  }

 private:
  const std::size_t n_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, HttpServer::Respond>> held_;
};

TEST(ServerAsync, WaitingRequestsHoldNoServerThread) {
  constexpr int kRequests = 8;
  Gate gate(kRequests);
  ServerOptions o;
  o.port = 0;
  o.threads = 1;  // a synchronous handler could hold one request at a time
  HttpServer server(o, HttpServer::AsyncHandler([&gate](HttpRequest req, HttpServer::Respond r) {
                      gate.Hold(std::move(req), std::move(r));
                    }));
  ASSERT_TRUE(server.Listen().ok());
  std::thread runner([&] { server.Run(); });

  std::vector<std::future<std::string>> replies;
  for (int i = 0; i < kRequests; ++i) {
    replies.push_back(std::async(std::launch::async, [&, i] {
      return Exchange(server.port(), "/r" + std::to_string(i), 30s);
    }));
  }
  // All eight are in the handler at once, on a one-thread server.
  EXPECT_TRUE(gate.ReleaseWhenFull(20s));
  for (int i = 0; i < kRequests; ++i) {
    const std::string reply = replies[i].get();
    EXPECT_NE(reply.find("HTTP/1.1 200"), std::string::npos) << reply;
    // Each connection got its own answer, exactly once.
    const std::string body = "answered /r" + std::to_string(i);
    EXPECT_EQ(reply.size() - reply.find("\r\n\r\n") - 4, body.size()) << reply;
    EXPECT_NE(reply.find(body), std::string::npos) << reply;
  }
  server.Stop();
  runner.join();
}

TEST(ServerAsync, StopWaitsForARequestAnsweredLater) {
  Gate gate(1);
  ServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.drain_timeout = 30s;
  HttpServer server(o, HttpServer::AsyncHandler([&gate](HttpRequest req, HttpServer::Respond r) {
                      gate.Hold(std::move(req), std::move(r));
                    }));
  ASSERT_TRUE(server.Listen().ok());
  std::promise<void> stopped;
  std::thread runner([&] {
    server.Run();
    stopped.set_value();
  });
  auto reply =
      std::async(std::launch::async, [&] { return Exchange(server.port(), "/late", 30s); });
  std::this_thread::sleep_for(300ms);  // the request is in the handler
  server.Stop();
  auto done = stopped.get_future();
  // Not before the answer: the request is in flight.
  EXPECT_EQ(done.wait_for(500ms), std::future_status::timeout);
  EXPECT_TRUE(gate.ReleaseWhenFull(10s));
  EXPECT_NE(reply.get().find("answered /late"), std::string::npos);
  EXPECT_EQ(done.wait_for(20s), std::future_status::ready);
  runner.join();
}

// The store may answer after the drain deadline has ended Run() (serve
// closes the store, which drains its queue, before the server is
// destroyed): the answer is dropped and destroying the server is safe.
TEST(ServerAsync, AnAnswerAfterTheDrainDeadlineIsDroppedSafely) {
  HttpServer::Respond late;
  std::mutex mu;
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  o.drain_timeout = 1s;
  auto server = std::make_unique<HttpServer>(
      o, HttpServer::AsyncHandler([&](HttpRequest, HttpServer::Respond r) {
        std::lock_guard lock(mu);
        late = std::move(r);
      }));
  ASSERT_TRUE(server->Listen().ok());
  std::thread runner([&] { server->Run(); });
  auto reply = std::async(std::launch::async, [&] { return Exchange(server->port(), "/x", 30s); });
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mu);
      if (late) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  server->Stop();
  runner.join();  // returns at the drain deadline, the request unanswered
  {
    std::lock_guard lock(mu);
    ASSERT_TRUE(late);
    HttpResponse res;
    res.status = 200;
    late(std::move(res));  // queued on a stopped server: never sent
    late = nullptr;
  }
  server.reset();  // destroys the queued answer and its session
  EXPECT_EQ(reply.get().find("HTTP/1.1 200"), std::string::npos);
}

TEST(ServerAsync, AThrowingHandlerAnswers500) {
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  HttpServer server(o, HttpServer::AsyncHandler([](HttpRequest, HttpServer::Respond) {
                      throw std::runtime_error("boom");
                    }));
  ASSERT_TRUE(server.Listen().ok());
  std::thread runner([&] { server.Run(); });
  const std::string reply = Exchange(server.port(), "/x", 20s);
  EXPECT_NE(reply.find("HTTP/1.1 500"), std::string::npos) << reply;
  EXPECT_EQ(reply.find("boom"), std::string::npos) << reply;
  server.Stop();
  runner.join();
}

}  // namespace
}  // namespace offerledger
