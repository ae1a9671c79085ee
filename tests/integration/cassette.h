// The recorded XCover exchanges (VCR cassettes, tests/fixtures/xcover-cassettes)
// read directly with yaml-cpp; gzip-compressed response bodies (`!!binary`
// base64) are inflated with zlib. And the JSON shape comparison that the
// replay test applies to each response.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace itest {

struct RecordedRequest {
  std::string method;
  std::string uri;     // as recorded: https://staging.api.xcover.com/xcover/partners/...
  std::string target;  // path and query: /xcover/partners/...
  std::optional<std::string> body;  // nullopt: the recording has no body
  std::vector<std::pair<std::string, std::string>> headers;
};

struct RecordedResponse {
  int status = 0;
  std::string body;  // decoded (inflated when it was gzip)
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Interaction {
  RecordedRequest request;
  RecordedResponse response;
};

// Loads tests/fixtures/xcover-cassettes/<name>.yaml (name without .yaml).
// Throws std::runtime_error when the file cannot be read or decoded.
std::vector<Interaction> LoadCassette(const std::string& name);

// Inflates a gzip stream (zlib, windowBits 16 + MAX_WBITS). Throws on error.
std::string Gunzip(std::string_view compressed);

// ------------------------------------------------------------- shape

struct ShapeResult {
  std::vector<std::string> problems;  // each a path and what differs
  std::vector<std::string> skipped;   // allow-listed recorded keys we do not produce
};

// Every key of `recorded` must be in `ours` with a compatible kind: recorded
// null matches anything; numbers match numbers; objects recurse; arrays
// compare their first elements when both are non-empty. Paths look like
// "quotes.*.policy.content.title" (object keys that are indexes become "*")
// and "results[].quotes[].id". Keys whose path starts with an entry of
// `allow_missing` are not required (and are reported in `skipped`).
// Besides the shape, every "status" and "currency" string must be equal.
//
// A null of ours where the recording has a value is compatible only when
// XCover itself answered null for that key somewhere in the recordings
// (`nullable`, see NullableKeys): e.g. policyholder.region is null whenever
// the partner sent none.
void CompareShape(const boost::json::value& recorded, const boost::json::value& ours,
                  const std::vector<std::string>& allow_missing,
                  const std::set<std::string>& nullable, ShapeResult& out,
                  const std::string& path = "");

// "parent.key" for every key that is null in some recorded response of any
// of the 23 cassettes (the last two key names of its path; indexes dropped).
const std::set<std::string>& NullableKeys();

// The "parent.key" of a shape path: "results[].policyholder.region" ->
// "policyholder.region", "quotes.*.insured" -> "quotes.insured".
std::string LastTwoKeys(const std::string& path);

// Walks `recorded` and `ours` in parallel and, for every key "id" or
// "*_id" holding a string in both, records recorded -> ours in `ids`.
// Quotes (elements with a policy_start_date, which the replayed request
// bodies fix) are paired by that date rather than by position: XCover lists
// the quotes of a package in an order of its own (test_add_quotes puts the
// added quote at "0").
// A recorded id already mapped to a different value is a problem (the
// server returned another id for the same thing).
void LearnIds(const boost::json::value& recorded, const boost::json::value& ours,
              std::map<std::string, std::string>& ids, std::vector<std::string>& problems,
              const std::string& path = "");

// Replaces every recorded id of `ids` in `text` by ours.
std::string ReplaceIds(std::string text, const std::map<std::string, std::string>& ids);

std::string KindName(const boost::json::value& v);

}  // namespace itest
