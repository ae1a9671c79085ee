// JsonWriter: appends JSON text to a string: response bodies (api/) and the
// stored package documents (store/package_codec.cpp).
//
// Why not boost::json::serialize? Money must appear as a JSON number with
// exactly the currency's decimals ("total_price": 2.01, "limit": 10.00),
// produced from integer minor units without passing through a double;
// Boost.JSON can only emit numbers it holds as doubles or integers. Writing
// straight into one string is also the cheapest way to build a body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/money.h"

namespace offerledger {

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(1024); }

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // Object member name; the next call writes its value.
  JsonWriter& Key(std::string_view key);
  // Member name key + suffix ("price" "_formatted"), without a temporary.
  JsonWriter& Key(std::string_view key, std::string_view suffix);

  void String(std::string_view s);
  void OptString(const std::optional<std::string>& s);  // null when absent
  void OptInt(const std::optional<std::int64_t>& v);    // null when absent
  void Int(std::int64_t v);
  void Bool(bool v);
  void Null();
  // A decimal number with the currency's digits: 201 GBP -> 2.01.
  void Money(MinorUnits amount, int exponent);
  // Already-serialised JSON (a stored document), inserted verbatim.
  void Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();

  std::string out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (quotes included), escaping what
// RFC 8259 requires plus U+2028/2029 (unsafe in JavaScript).
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace offerledger
