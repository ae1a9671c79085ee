// Replays the recorded XCover exchanges (tests/fixtures/xcover-cassettes)
// against the real server: the request bodies exactly as recorded, the ids
// in later requests replaced by the ones OUR server returned, a fresh Date
// and signature for partner LLODT. Each response must have the recorded
// status and the recorded JSON shape (see CompareShape), and every "status"
// and "currency" value must be the recorded one.
//
// Not replayed (it records the gateway's 502s, which the client retries):
//   test_auto_retry
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/cassette.h"
#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

// Recorded keys we knowingly do not produce. Keep this short: every entry is
// a difference a partner could notice. Prefix match on the shape path.
const std::vector<std::string> kAllowMissing = {
    // XCover's partner branding and e-mail configuration, echoed in cancellation
    // replies. offerledger renders partner {id, name, title} only.
    "partner.logo",
    "partner.emails",
    "partner.subsidiary",
    "partner.slug",
    "partner.contact_url",
    "partner.help_center_url",
    "partner.partner_url",
    "partner.updated_at",
    "partner.xpay_refund_enabled",
    // Instalment tax lines: XCover says whether each line is a fixed fee or a
    // percentage and at what value; a quote keeps only each line's code and
    // amount (the catalog's terms may have changed since it was priced).
    "quotes[].next_payment.tax.taxes[].tax_type",
    "quotes[].next_payment.tax.taxes[].tax_value",
    "quotes[].payment_schedule[].tax.taxes[].tax_type",
    "quotes[].payment_schedule[].tax.taxes[].tax_value",
};

// Request headers that the replay does not copy from the recording: it signs
// afresh (Date, Authorization, X-Api-Key) and lets the HTTP client frame the
// message.
bool DropRecordedHeader(const std::string& name) {
  static const std::set<std::string> kDrop = {
      "date", "authorization", "x-api-key",       "content-length",
      "host", "connection",    "accept-encoding", "transfer-encoding"};
  return kDrop.count(ToLower(name)) > 0;
}

class Replayer {
 public:
  explicit Replayer(const Client& client) : client_(client) {}

  // Replays one recorded interaction and checks our answer against it.
  // Returns our reply.
  // `learn`: remember the ids of our answer for the later requests (not for
  // seeds replayed more than once).
  HttpReply Replay(const std::string& cassette, std::size_t index, const Interaction& x,
                   bool learn = true) {
    const std::string target = ReplaceIds(x.request.target, ids_);
    std::optional<std::string> body;
    if (x.request.body) body = ReplaceIds(*x.request.body, ids_);
    SignOptions opts;
    opts.content_type.clear();       // the recorded Content-Type is copied below
    opts.date_header_name = "date";  // as the official client sends it
    for (const auto& [k, v] : x.request.headers) {
      if (!DropRecordedHeader(k)) opts.extra_headers.emplace_back(k, v);
    }
    const HttpReply reply = client_.Send(x.request.method, target, body, opts);
    const std::string what = cassette + "[" + std::to_string(index) + "] " + x.request.method +
                             " " + target + (body ? " body " + body->substr(0, 300) : "");
    EXPECT_EQ(reply.status, x.response.status) << what << "\n  got: " << reply.Describe();
    if (x.response.body.empty()) {
      EXPECT_TRUE(reply.body.empty()) << what << ": recorded an empty body, got " << reply.body;
      return reply;
    }
    boost::system::error_code ec;
    const json::value recorded = json::parse(x.response.body, ec);
    EXPECT_FALSE(ec) << what << ": the recorded body is not JSON";
    if (ec) return reply;
    const json::value ours = reply.Json();
    ShapeResult shape;
    CompareShape(recorded, ours, kAllowMissing, NullableKeys(), shape);
    std::string problems;
    for (const auto& p : shape.problems) problems += "\n    " + p;
    EXPECT_TRUE(shape.problems.empty())
        << what << "\n  shape differs from the recording:" << problems;
    for (const auto& s : shape.skipped) skipped_.insert(s);
    if (!learn) return reply;
    std::vector<std::string> id_problems;
    LearnIds(recorded, ours, ids_, id_problems);
    for (const auto& p : id_problems) ADD_FAILURE() << what << ": " << p;
    return reply;
  }

  // Makes `recorded` (a recorded body naming an entity this flow never
  // created) name the entity of `ours` (a body of ours).
  void Alias(const std::string& recorded_body, const json::value& ours) {
    std::vector<std::string> unused;
    LearnIds(json::parse(recorded_body), ours, ids_, unused);
  }

  const std::set<std::string>& skipped() const { return skipped_; }

 private:
  const Client& client_;
  std::map<std::string, std::string> ids_;
  std::set<std::string> skipped_;
};

class CassetteReplay : public ServerTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CassetteReplay, MatchesRecording) {
  const std::string name = GetParam();
  const std::vector<Interaction> flow = LoadCassette(name);
  Replayer replayer(c());

  if (name == "test_get_quote") {
    // The recording GETs a package created outside the cassette: create one
    // with test_quote's request and let the recorded id stand for it.
    const auto seed = LoadCassette("test_quote");
    const HttpReply created = replayer.Replay("test_quote (seed)", 0, seed.at(0));
    ASSERT_EQ(created.status, 201);
    replayer.Alias(flow.at(0).response.body, created.Json());
  }
  if (name == "test_list_bookings") {
    // The recording lists booking 2 of XCover's 82 (limit=1&offset=1). We
    // book three so that this page has a result and both next and previous
    // links; counts differ from the recording, so only the shape is compared.
    const auto seed = LoadCassette("test_instant_booking");
    for (int i = 0; i < 3; ++i) {
      replayer.Replay("test_instant_booking (seed)", 0, seed.at(0), /*learn=*/false);
    }
  }

  for (std::size_t i = 0; i < flow.size(); ++i) {
    const HttpReply reply = replayer.Replay(name, i, flow[i]);
    if (name == "test_list_bookings") {
      const json::value page = reply.Json();
      EXPECT_EQ(Num(page, {"count"}), 3) << reply.Describe();
      EXPECT_TRUE(Has(page, {"results", "0", "id"})) << reply.Describe();
      EXPECT_FALSE(Str(page, {"next"}).empty()) << reply.Describe();
      EXPECT_FALSE(Str(page, {"previous"}).empty()) << reply.Describe();
    }
  }

  if (!replayer.skipped().empty()) {
    std::cout << "[ allow-list ] " << name << ": recorded keys not produced (allowed):";
    for (const auto& s : replayer.skipped()) std::cout << " " << s;
    std::cout << std::endl;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Xcover, CassetteReplay,
    ::testing::Values("test_quote", "test_get_quote", "test_quote_422", "test_opt_out",
                      "test_create_booking", "test_instant_booking", "test_get_booking",
                      "test_list_bookings", "test_cancel_booking",
                      "test_cancel_booking_with_confirmation", "test_update_quote",
                      "test_add_quotes", "test_delete_quotes", "test_call", "test_custom_header",
                      "test_confirm_booking", "test_booking_modification",
                      "test_booking_modification__error",
                      "test_booking_modification_quote_workflow", "test_get_instalments",
                      "test_trigger_email", "test_trigger_email__wrong_payload"),
    [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

// Every cassette file is either replayed above or listed as skipped at the
// top of this file: a new recording cannot be forgotten silently.
TEST(CassetteInventory, EveryCassetteIsReplayedOrListedAsSkipped) {
  const std::set<std::string> replayed = {"test_quote",
                                          "test_get_quote",
                                          "test_quote_422",
                                          "test_opt_out",
                                          "test_create_booking",
                                          "test_instant_booking",
                                          "test_get_booking",
                                          "test_list_bookings",
                                          "test_cancel_booking",
                                          "test_cancel_booking_with_confirmation",
                                          "test_update_quote",
                                          "test_add_quotes",
                                          "test_delete_quotes",
                                          "test_call",
                                          "test_custom_header",
                                          "test_confirm_booking",
                                          "test_booking_modification",
                                          "test_booking_modification__error",
                                          "test_booking_modification_quote_workflow",
                                          "test_get_instalments",
                                          "test_trigger_email",
                                          "test_trigger_email__wrong_payload"};
  const std::set<std::string> skipped = {"test_auto_retry"};
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(
           std::filesystem::path(OFFERLEDGER_SOURCE_DIR) / "tests/fixtures/xcover-cassettes")) {
    if (e.path().extension() != ".yaml") continue;
    ++seen;
    const std::string stem = e.path().stem().string();
    EXPECT_TRUE(replayed.count(stem) + skipped.count(stem) == 1) << stem;
    // Every cassette must load (YAML, base64, gzip) even when not replayed.
    EXPECT_NO_THROW(LoadCassette(stem)) << stem;
  }
  EXPECT_EQ(seen, 23);
}

}  // namespace
}  // namespace itest
