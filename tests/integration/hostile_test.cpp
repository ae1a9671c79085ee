// Issue 8, "Hostile input": a catalogue of hostile requests against the
// running server. Each case has its expected outcome -- the exact 4xx, or a
// closed connection for transport abuse -- and after each group (and during
// the slow ones) well-formed traffic is still served.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"

namespace itest {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kClosed = 0;  // expected outcome: the server closes, no answer

// The cases the current test ran (printed and recorded by its TearDown).
std::atomic<int> g_cases{0};
constexpr int kSlowlorisCases = 3;
constexpr int kPipelinedCases = 1;
constexpr int kAcceptedEdgeCases = 3;

// A server with two partners: A (LLODT) is the client, B (OTHER) the victim.
class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = env_.AddPartner("LLODT");
    b_ = env_.AddPartner("OTHER");
    ASSERT_FALSE(a_.key.empty());
    ASSERT_FALSE(b_.key.empty());
    // A short read timeout so that slow clients are cut within the test.
    server_ = env_.StartServer({"--read-timeout", "2"});
    ASSERT_NE(server_, nullptr);
    a_client_ = std::make_unique<Client>(server_->port(), a_);
    b_client_ = std::make_unique<Client>(server_->port(), b_);
  }

  void TearDown() override {
    std::cout << "hostile requests tried: " << g_cases.load() << "\n";
    RecordProperty("hostile_requests", g_cases.load());
    g_cases = 0;
  }

  const Client& a() const { return *a_client_; }
  const Client& b() const { return *b_client_; }
  std::uint16_t port() const { return server_->port(); }

  // /healthz 200, and a signed quote + opt-out succeed.
  void ExpectHealthy(const std::string& after) {
    const HttpReply h = SendRaw(port(), RawRequest{"GET", "/healthz", std::nullopt, {}});
    EXPECT_EQ(h.status, 200) << "after " << after << ": " << h.Describe();
    const HttpReply q = a().Post("quotes/", CassetteQuoteBody());
    EXPECT_EQ(q.status, 201) << "after " << after << ": " << q.Describe();
    const std::string id = q.status == 201 ? Str(q.Json(), {"id"}) : "";
    const HttpReply o = a().Post("bookings/" + id + "/opt_out", "{}");
    EXPECT_EQ(o.status, 204) << "after " << after << ": " << o.Describe();
  }

  Env env_;
  Credentials a_, b_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> a_client_, b_client_;
};

// ---------------------------------------------------------------- transport

struct RawCase {
  std::string name;
  std::string bytes;
  int expected;  // a status, or kClosed
};

// Writes `bytes` on a fresh connection; the status of the first answer, or
// kClosed when the server closes without one.
int RawOutcome(std::uint16_t port, const std::string& bytes, std::string* detail) {
  RawConnection conn(port);
  if (!conn.connected()) {
    *detail = "connect failed";
    return -1;
  }
  conn.Write(bytes);
  const HttpReply r = conn.ReadReply(10s);
  *detail = r.status == 0 ? r.error : r.Describe();
  return r.status;
}

std::string Req(const std::string& start, const std::string& headers, const std::string& body) {
  return start + "\r\nHost: 127.0.0.1\r\n" + headers + "\r\n" + body;
}

std::vector<RawCase> TransportCases() {
  const std::string big(20 * 1024, 'a');
  std::string many_headers;
  for (int i = 0; i < 3000; ++i) many_headers += "X-H" + std::to_string(i) + ": value\r\n";
  const std::vector<RawCase> cases = {
      {"oversized header value", Req("GET /healthz HTTP/1.1", "X-Big: " + big + "\r\n", ""), 431},
      {"three thousand headers", Req("GET /healthz HTTP/1.1", many_headers, ""), 431},
      {"oversized target", Req("GET /" + big + " HTTP/1.1", "", ""), 431},
      {"oversized body (2 MiB, announced)",
       Req("POST /xcover/partners/LLODT/quotes/ HTTP/1.1", "Content-Length: 2097152\r\n",
           std::string(64 * 1024, 'x')),
       413},
      {"absurd Content-Length",
       Req("POST /healthz HTTP/1.1", "Content-Length: 99999999999999999999999\r\n", ""), 400},
      {"negative Content-Length", Req("POST /healthz HTTP/1.1", "Content-Length: -1\r\n", ""), 400},
      {"conflicting Content-Length",
       Req("POST /healthz HTTP/1.1", "Content-Length: 2\r\nContent-Length: 5\r\n", "{}"), 400},
      {"chunked body that never ends",
       Req("POST /xcover/partners/LLODT/quotes/ HTTP/1.1", "Transfer-Encoding: chunked\r\n",
           "5\r\nhello\r\n"),
       kClosed},
      {"chunk size not hex",
       Req("POST /xcover/partners/LLODT/quotes/ HTTP/1.1", "Transfer-Encoding: chunked\r\n",
           "zz\r\nhello\r\n0\r\n\r\n"),
       400},
      {"absurd chunk size",
       Req("POST /xcover/partners/LLODT/quotes/ HTTP/1.1", "Transfer-Encoding: chunked\r\n",
           "FFFFFFFFFFFFFFFFFFFF\r\nhello\r\n"),
       400},
      {"body announced, never sent",
       Req("POST /xcover/partners/LLODT/quotes/ HTTP/1.1", "Content-Length: 100\r\n", "{"),
       kClosed},
      {"HTTP/0.9 request line", "GET /healthz\r\n\r\n", 400},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
      {"binary garbage",
       std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\0\0", 13) + "\r\n\r\n", 400},
      {"not HTTP at all", "THIS IS NOT HTTP\r\n\r\n", 400},
      {"space in header name", Req("GET /healthz HTTP/1.1", "Bad Header: x\r\n", ""), 400},
      {"bare CR in header value (injection)",
       Req("GET /healthz HTTP/1.1", "X-Api-Key: a\rAuthorization: x\r\n", ""), 400},
      {"NUL in header value", Req("GET /healthz HTTP/1.1", std::string("X-A: a\0b\r\n", 10), ""),
       400},
      {"header without colon", Req("GET /healthz HTTP/1.1", "NoColonHere\r\n", ""), 400},
      {"TRACE /healthz", Req("TRACE /healthz HTTP/1.1", "", ""), 405},
      {"CONNECT authority form", Req("CONNECT 127.0.0.1:443 HTTP/1.1", "", ""), 404},
      {"absolute-form target to elsewhere", Req("GET http://evil.example/healthz HTTP/1.1", "", ""),
       404},
      {"asterisk target", Req("OPTIONS * HTTP/1.1", "", ""), 404},
      {"HTTP/3.7 version", Req("GET /healthz HTTP/3.7", "", ""), 400},
      {"lower-case method (methods are case-sensitive)", Req("get /healthz HTTP/1.1", "", ""), 405},
  };
  return cases;
}

TEST_F(Hostile, TransportAbuse) {
  const std::vector<RawCase> cases = TransportCases();
  // Well-formed requests while the abuse goes on.
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, refused{0};
  std::thread good([&] {
    while (!done) {
      const HttpReply r = SendRaw(port(), RawRequest{"GET", "/healthz", std::nullopt, {}});
      (r.status == 200 ? served : refused)++;
      std::this_thread::sleep_for(20ms);
    }
  });
  for (const RawCase& c : cases) {
    std::string detail;
    const int got = RawOutcome(port(), c.bytes, &detail);
    EXPECT_EQ(got, c.expected) << c.name << ": " << detail;
    ++g_cases;
  }
  done = true;
  good.join();
  EXPECT_GT(served.load(), 0);
  EXPECT_EQ(refused.load(), 0) << "well-formed requests failed during the abuse";
  ExpectHealthy("transport abuse");
}

TEST_F(Hostile, SlowlorisIsCutWhileOthersAreServed) {
  // Three clients send a request's headers a byte at a time, 100 ms apart:
  // the read timeout (2 s) cuts them, and others are served meanwhile.
  const std::string request =
      Req("GET /healthz HTTP/1.1", "X-Slow: " + std::string(200, 's') + "\r\n", "");
  std::atomic<int> cut{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < 3; ++i) {
    slow.emplace_back([&] {
      RawConnection conn(port());
      for (char ch : request) {
        if (!conn.Write(std::string_view(&ch, 1))) break;
        // A write fails once the server has hung up.
        std::this_thread::sleep_for(100ms);
      }
      const HttpReply r = conn.ReadReply(1s);
      if (r.status == 0) ++cut;
    });
  }
  int served = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 3s) {
    const HttpReply r = a().Post("quotes/", CassetteQuoteBody());
    EXPECT_EQ(r.status, 201) << "during slowloris: " << r.Describe();
    ++served;
    std::this_thread::sleep_for(100ms);
  }
  for (auto& t : slow) t.join();
  EXPECT_EQ(cut.load(), 3) << "a slowloris connection was answered, not cut";
  EXPECT_GT(served, 5);
  g_cases += kSlowlorisCases;
  ExpectHealthy("slowloris");
}

TEST_F(Hostile, PipelinedGarbageAfterAGoodRequest) {
  RawConnection conn(port());
  ASSERT_TRUE(conn.connected());
  conn.Write(Req("GET /healthz HTTP/1.1", "", "") + "\x01\x02garbage\r\n\r\n" +
             Req("GET /healthz HTTP/1.1", "", ""));
  const HttpReply first = conn.ReadReply(5s);
  EXPECT_EQ(first.status, 200) << first.Describe();
  const HttpReply second = conn.ReadReply(5s);
  EXPECT_EQ(second.status, 400) << second.Describe();
  // The connection is closed after the garbage: the third is never answered.
  const HttpReply third = conn.ReadReply(2s);
  EXPECT_EQ(third.status, kClosed) << third.Describe();
  g_cases += kPipelinedCases;
  ExpectHealthy("pipelined garbage");
}

// ---------------------------------------------------------------- headers

struct HeaderCase {
  std::string name;
  std::function<void(RawRequest&, const Credentials& other)> tamper;
  int expected;
};

void Remove(RawRequest& r, const std::string& name) {
  std::erase_if(r.headers, [&](const auto& h) { return ToLower(h.first) == ToLower(name); });
}
std::string Get(const RawRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (ToLower(k) == ToLower(name)) return v;
  return "";
}

std::vector<HeaderCase> HeaderCases() {
  return {
      {"Authorization twice, same value",
       [](RawRequest& r, const Credentials&) {
         r.headers.emplace_back("Authorization", Get(r, "Authorization"));
       },
       401},
      {"Authorization twice, second bogus",
       [](RawRequest& r, const Credentials&) {
         r.headers.emplace_back("Authorization", "Signature keyId=\"x\",signature=\"y\"");
       },
       401},
      {"Authorization twice, bogus first",
       [](RawRequest& r, const Credentials&) {
         r.headers.insert(r.headers.begin(), {"Authorization", "Basic YTpi"});
       },
       401},
      {"Date twice, conflicting",
       [](RawRequest& r, const Credentials&) {
         r.headers.emplace_back("Date", HttpDate(std::chrono::seconds(-100)));
       },
       401},
      {"X-Api-Key twice, the other partner's second",
       [](RawRequest& r, const Credentials& o) { r.headers.emplace_back("X-Api-Key", o.key); },
       401},
      {"X-Api-Key of the other partner",
       [](RawRequest& r, const Credentials& o) {
         Remove(r, "X-Api-Key");
         r.headers.emplace_back("X-Api-Key", o.key);
       },
       401},
      {"Date in year 0",
       [](RawRequest& r, const Credentials&) {
         Remove(r, "Date");
         r.headers.emplace_back("Date", "Sat, 01 Jan 0000 00:00:00 GMT");
       },
       401},
      {"Date in year 9999",
       [](RawRequest& r, const Credentials&) {
         Remove(r, "Date");
         r.headers.emplace_back("Date", "Fri, 31 Dec 9999 23:59:59 GMT");
       },
       401},
      {"Date with 99 seconds",
       [](RawRequest& r, const Credentials&) {
         Remove(r, "Date");
         r.headers.emplace_back("Date", "Fri, 31 Dec 2021 23:59:99 GMT");
       },
       401},
      {"empty Authorization",
       [](RawRequest& r, const Credentials&) {
         Remove(r, "Authorization");
         r.headers.emplace_back("Authorization", "");
       },
       401},
      {"Authorization of 8 KiB commas",
       [](RawRequest& r, const Credentials&) {
         Remove(r, "Authorization");
         r.headers.emplace_back("Authorization", "Signature " + std::string(8000, ','));
       },
       401},
      {"signature not Base64",
       [](RawRequest& r, const Credentials& o) {
         Remove(r, "Authorization");
         r.headers.emplace_back("Authorization", "Signature keyId=\"" + o.key +
                                                     "\",algorithm=\"hmac-sha512\",headers="
                                                     "\"date\",signature=\"%%%%\"");
       },
       401},
      {"keyId with SQL",
       [](RawRequest& r, const Credentials&) {
         Remove(r, "Authorization");
         r.headers.emplace_back("Authorization",
                                "Signature keyId=\"' OR '1'='1\",algorithm=\"hmac-sha512\","
                                "headers=\"date\",signature=\"AAAA\"");
       },
       401},
      {"header injection: CRLF-looking text in a signed header",
       [](RawRequest& r, const Credentials&) {
         r.headers.emplace_back("X-Note", "a%0d%0aAuthorization: x");
       },
       201},  // harmless: not a header, just text (and not signed)
  };
}

TEST_F(Hostile, AuthHeaderTricks) {
  const std::vector<HeaderCase> cases = HeaderCases();
  for (const HeaderCase& c : cases) {
    RawRequest r = a().Build("POST", a().Path("quotes/"), CassetteQuoteBody());
    c.tamper(r, b_);
    const HttpReply got = SendRaw(port(), r);
    EXPECT_EQ(got.status, c.expected) << c.name << ": " << got.Describe();
    ++g_cases;
  }
  ExpectHealthy("header tricks");
}

// ---------------------------------------------------------------- paths

struct PathCase {
  std::string name, method, target;
  int expected;
};

// `bid`: a package of partner B (OTHER); the client is partner A (LLODT).
std::vector<PathCase> PathCases(const std::string& bid) {
  const std::string p = "/xcover/partners/";
  return {
      {"B's path with A's key", "POST", p + "OTHER/quotes/", 404},
      {"B's package under A's path", "GET", p + "LLODT/quotes/" + bid + "/", 404},
      {"opt out B's package under A's path", "POST", p + "LLODT/bookings/" + bid + "/opt_out", 404},
      {"book B's package under A's path", "POST", p + "LLODT/bookings/" + bid + "/", 404},
      {"B's package under B's path with A's key", "GET", p + "OTHER/quotes/" + bid + "/", 404},
      {"%2e%2e as partner", "POST", p + "%2e%2e/quotes/", 404},
      {"traversal to B", "POST", p + "LLODT/../OTHER/quotes/", 404},
      {"encoded traversal to B", "POST", p + "LLODT/%2e%2e%2FOTHER/quotes/", 400},
      {"%2F in partner", "POST", p + "LLODT%2F/quotes/", 400},
      {"double slash", "POST", p + "/LLODT/quotes/", 404},
      {"double slash after partner", "POST", p + "LLODT//quotes/", 404},
      {"lower-case partner", "POST", p + "llodt/quotes/", 404},
      {"partner with SQL", "POST", p + "LLODT'%20OR%20'1'='1/quotes/", 404},
      {"id traversal", "GET", p + "LLODT/quotes/..%2F..%2F" + bid + "/", 400},
      {"id with %00", "GET", p + "LLODT/quotes/" + bid + "%00/", 400},
      {"id with SQL", "GET", p + "LLODT/quotes/'%20OR%201=1--/", 404},
      {"id of 4 KiB", "GET", p + "LLODT/quotes/" + std::string(4096, 'A') + "/", 404},
      {"opt out with SQL id", "POST", p + "LLODT/bookings/x';DROP%20TABLE%20events;--/opt_out",
       404},
  };
}

TEST_F(Hostile, PathTricksAndOtherPartnersData) {
  const json::object bpkg = b().CreateQuote();
  const std::string bid = Str(bpkg, {"id"});
  ASSERT_FALSE(bid.empty());
  const std::vector<PathCase> cases = PathCases(bid);
  for (const PathCase& c : cases) {
    std::optional<std::string> body;
    if (c.method == "POST") {
      body = c.target.ends_with("quotes/")   ? CassetteQuoteBody()
             : c.target.ends_with("opt_out") ? std::string("{}")
                                             : BookingBodyFor(bpkg);
    }
    const HttpReply got = a().Send(c.method, c.target, body);
    EXPECT_EQ(got.status, c.expected) << c.name << " " << c.target << ": " << got.Describe();
    ++g_cases;
  }
  // B's package is untouched.
  const HttpReply mine = b().Get("quotes/" + bid + "/");
  EXPECT_EQ(mine.status, 200) << mine.Describe();
  EXPECT_EQ(Str(mine.Json(), {"status"}), Str(bpkg, {"status"})) << mine.body;
  ExpectHealthy("path tricks");
}

// ---------------------------------------------------------------- bodies

// The cassette quote body with request[0][field] (or the top-level field
// when `top`) replaced by the raw JSON text `value`.
std::string WithField(const std::string& field, const std::string& value, bool top = false) {
  json::value v = json::parse(CassetteQuoteBody());
  json::object& o = top ? v.as_object() : v.as_object()["request"].as_array()[0].as_object();
  o[field] = json::string("@@VALUE@@");
  std::string s = json::serialize(v);
  s.replace(s.find("\"@@VALUE@@\""), 11, value);
  return s;
}
std::string WithPrice(const std::string& value) {
  std::string s = CassetteQuoteBody();
  const std::string from = "\"price\": 100";
  const std::size_t at = s.find(from);
  if (at == std::string::npos) return s;
  return s.replace(at, from.size(), "\"price\": " + value);
}

struct BodyCase {
  std::string name, body;
  int expected;
};

std::vector<BodyCase> BodyCases() {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  return {
      {"JSON nested 10,000 deep", deep, 400},
      {"object nested 10,000 deep in a field",
       WithField("event_name",
                 [] {
                   std::string s;
                   for (int i = 0; i < 10000; ++i) s += "{\"a\":";
                   return s + "1" + std::string(10000, '}');
                 }()),
       400},
      {"invalid UTF-8 in event_name", WithField("event_name", "\"Ariana \xff\xfe Grande\""), 400},
      {"overlong UTF-8 in event_location", WithField("event_location", "\"\xc0\xaf\""), 400},
      {"lone surrogate escape", WithField("event_name", "\"\\ud800\""), 400},
      {"tickets 1e400", WithField("number_of_tickets", "1e400"), 422},
      {"tickets -0", WithField("number_of_tickets", "-0"), 422},
      {"tickets -1", WithField("number_of_tickets", "-1"), 422},
      {"tickets 0", WithField("number_of_tickets", "0"), 422},
      {"tickets 2.5", WithField("number_of_tickets", "2.5"), 422},
      {"tickets 1e12", WithField("number_of_tickets", "1e12"), 422},
      {"tickets 2^63", WithField("number_of_tickets", "9223372036854775808"), 422},
      {"tickets as string", WithField("number_of_tickets", "\"2\""), 422},
      {"price 1e400", WithPrice("1e400"), 422},
      {"price -100", WithPrice("-100"), 422},
      {"price 1e308", WithPrice("1e308"), 422},
      {"price as a non-decimal string", WithPrice("\"1e2; --\""), 422},
      {"price null", WithPrice("null"), 422},
      {"event in year 0", WithField("event_datetime", "\"0000-01-01T00:00:00Z\""), 422},
      {"event on 31 February", WithField("event_datetime", "\"2021-02-31T10:00:00Z\""), 422},
      {"currency with SQL", WithField("currency", "\"GBP'; DROP TABLE events;--\"", true), 422},
      {"customer_country with SQL", WithField("customer_country", "\"' OR 1=1--\"", true), 422},
      {"empty body", "", 422},
      {"body is an array", "[]", 422},
      {"duplicate currency key", R"({"currency":"GBP","currency":"USD"})", 422},
  };
}

TEST_F(Hostile, HostileBodies) {
  const std::vector<BodyCase> cases = BodyCases();
  for (const BodyCase& c : cases) {
    const HttpReply got = a().Post("quotes/", c.body);
    EXPECT_EQ(got.status, c.expected) << c.name << ": " << got.Describe();
    ++g_cases;
  }
  ExpectHealthy("hostile bodies");
}

// Edge values the contract accepts: they are priced as what they mean.
TEST_F(Hostile, AcceptedEdgeValuesAreReadBackAsSent) {
  // -0 is 0: priced like a free ticket, never shown as "-0".
  const HttpReply zero = a().Post("quotes/", WithPrice("-0"));
  EXPECT_EQ(zero.status, 201) << zero.Describe();
  EXPECT_EQ(Num(zero.Json(), {"quotes", "0", "cover_amount"}), 0.0) << zero.body;
  EXPECT_EQ(zero.body.find(":-0"), std::string::npos) << zero.body;
  // A decimal string is a number (as XCover's decimal fields take it).
  const HttpReply text = a().Post("quotes/", WithPrice("\"100\""));
  EXPECT_EQ(text.status, 201) << text.Describe();
  EXPECT_EQ(Num(text.Json(), {"quotes", "0", "cover_amount"}), 100.0) << text.body;
  // An event in 9999 is far away but a valid date; it is kept as sent.
  const HttpReply far =
      a().Post("quotes/", WithField("event_datetime", "\"9999-12-31T23:59:59Z\""));
  EXPECT_EQ(far.status, 201) << far.Describe();
  EXPECT_EQ(Str(far.Json(), {"quotes", "0", "policy_end_date"}), "9999-12-31T23:59:59+00:00")
      << far.body;
  g_cases += kAcceptedEdgeCases;
  ExpectHealthy("accepted edge values");
}

// Every free-text string field of a quote request.
std::vector<std::string> SqlFields() {
  return {"event_name",      "event_location",    "policy_type", "event_country",
          "customer_region", "customer_language", "currency",    "customer_country"};
}

TEST_F(Hostile, SqlMetacharactersAreStoredVerbatimOrRefused) {
  // Another partner's package, before: it must not change.
  const json::object bpkg = b().CreateQuote();
  const std::string bid = Str(bpkg, {"id"});
  const std::string before = json::serialize(b().GetQuote(bid));
  const auto b_events = [&] {
    return env_.Query("SELECT count(*) FROM events WHERE package_id = '" + bid + "'");
  };
  const auto b_events_before = b_events();
  ASSERT_FALSE(b_events_before.empty());
  const std::string nasty = "x'); DELETE FROM events; -- \\\" %s %n $1 ?";
  int cases = 0;
  for (const std::string& field : SqlFields()) {
    const bool top = field.starts_with("customer") || field == "currency";
    const std::string body = WithField(field, json::serialize(json::string(nasty)), top);
    const HttpReply r = a().Post("quotes/", body);
    ++cases;
    if (r.status == 201) {
      // Stored verbatim: the package reads back with the same text.
      const std::string id = Str(r.Json(), {"id"});
      const HttpReply back = a().Get("quotes/" + id + "/");
      EXPECT_EQ(back.status, 200) << field << ": " << back.Describe();
      if (field == "event_name") {  // echoed in the policy title
        std::string escaped = json::serialize(json::string(nasty));
        escaped = escaped.substr(1, escaped.size() - 2);
        EXPECT_NE(back.body.find("Missed Event Cover for " + escaped), std::string::npos)
            << field << " not stored verbatim: " << back.body;
      }
    } else {
      EXPECT_EQ(r.status, 422) << field << ": " << r.Describe();
    }
  }
  EXPECT_EQ(b_events(), b_events_before) << "another partner's ledger rows changed";
  EXPECT_EQ(json::serialize(b().GetQuote(bid)), before) << "another partner's package changed";
  g_cases += cases;
  ExpectHealthy("SQL metacharacters");
}

// The catalogue's size (ctest runs each test in a process of its own, so the
// tables are counted, not the cases a process happened to run).
TEST(HostileCatalogue, HasAtLeastSixtyCases) {
  const int n = static_cast<int>(TransportCases().size() + HeaderCases().size() +
                                 PathCases("X").size() + BodyCases().size() + SqlFields().size()) +
                kSlowlorisCases + kPipelinedCases + kAcceptedEdgeCases;
  std::cout << "hostile requests in the catalogue: " << n << "\n";
  ::testing::Test::RecordProperty("hostile_requests", n);
  EXPECT_GE(n, 60);
}

}  // namespace
}  // namespace itest
