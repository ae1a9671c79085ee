// JsonWriter and AppendJsonString: separators, escaping (RFC 8259 plus
// U+2028/2029), money with the currency's exponent, raw insertion.
#include "domain/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace offerledger {
namespace {

namespace json = boost::json;

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(AppendJsonStringTest, PlainTextIsQuotedVerbatim) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("Ariana Grande"), R"("Ariana Grande")");
  // Non-ASCII UTF-8 passes through unescaped.
  EXPECT_EQ(Quoted("£2.01 – café"), "\"£2.01 – café\"");
}

TEST(AppendJsonStringTest, AppendsWithoutClearing) {
  std::string out = "x=";
  AppendJsonString(out, "a");
  EXPECT_EQ(out, "x=\"a\"");
}

TEST(AppendJsonStringTest, EscapesQuoteAndBackslash) {
  EXPECT_EQ(Quoted(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
  // A slash needs no escape.
  EXPECT_EQ(Quoted("a/b"), R"("a/b")");
}

TEST(AppendJsonStringTest, ShortEscapesForCommonControls) {
  EXPECT_EQ(Quoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
}

TEST(AppendJsonStringTest, OtherControlsAsUnicodeEscapes) {
  EXPECT_EQ(Quoted(std::string("\0", 1)), R"("\u0000")");
  EXPECT_EQ(Quoted("\x01"), R"("\u0001")");
  EXPECT_EQ(Quoted("\x0b"), R"("\u000b")");
  EXPECT_EQ(Quoted("\x1f"), R"("\u001f")");
  EXPECT_EQ(Quoted("a\x1b[0mb"), R"("a\u001b[0mb")");
  // DEL (0x7f) is not a JSON control character.
  EXPECT_EQ(Quoted("\x7f"), "\"\x7f\"");
}

TEST(AppendJsonStringTest, EveryControlCharacterRoundTrips) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
  const std::string text = Quoted(all);
  for (char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << text;
  json::value v = json::parse(text);
  ASSERT_TRUE(v.is_string());
  EXPECT_EQ(std::string(v.get_string()), all);
}

TEST(AppendJsonStringTest, EscapesLineAndParagraphSeparators) {
  EXPECT_EQ(Quoted("a\xE2\x80\xA8"
                   "b"),
            R"("a\u2028b")");
  EXPECT_EQ(Quoted("\xE2\x80\xA9"), R"("\u2029")");
  // Neighbours of U+2028/2029 are left alone.
  EXPECT_EQ(Quoted("\xE2\x80\xA7"), "\"\xE2\x80\xA7\"");  // U+2027
  EXPECT_EQ(Quoted("\xE2\x80\xAA"), "\"\xE2\x80\xAA\"");  // U+202A
  EXPECT_EQ(Quoted("\xE2\x80\x94"), "\"\xE2\x80\x94\"");  // em dash
  // A truncated sequence at the end is copied, not read past.
  EXPECT_EQ(Quoted("\xE2\x80"), "\"\xE2\x80\"");
  // Round trip through a parser.
  json::value v = json::parse(Quoted("x\xE2\x80\xA8y\xE2\x80\xA9z"));
  EXPECT_EQ(std::string(v.get_string()), "x\xE2\x80\xA8y\xE2\x80\xA9z");
}

// The escaping as it was written first, one byte at a time: the reference
// for the version that skips plain text 8 bytes at a time.
std::string ReferenceQuoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

// Every byte that needs escaping, and its neighbours that do not, at every
// offset of the first three 8-byte words, in plain and in UTF-8 text.
TEST(AppendJsonStringTest, EveryByteAtEveryOffsetEqualsTheReference) {
  std::vector<std::string> specials;
  for (int c = 0; c < 256; ++c) specials.emplace_back(1, static_cast<char>(c));
  specials.emplace_back("\xE2\x80\xA8");
  specials.emplace_back("\xE2\x80\xA9");
  specials.emplace_back("\xE2\x80\xAA");
  for (const std::string& fill : {std::string("a"), std::string("\xC3\xA9")}) {
    for (const std::string& special : specials) {
      for (std::size_t at = 0; at <= 24; ++at) {
        for (std::size_t tail : {0u, 1u, 7u, 8u, 9u}) {
          std::string s;
          while (s.size() < at) s += fill;
          s += special;
          for (std::size_t k = 0; k < tail; ++k) s += fill;
          ASSERT_EQ(Quoted(s), ReferenceQuoted(s)) << json::serialize(json::value(s));
        }
      }
    }
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 26);
    ASSERT_EQ(Quoted(s), ReferenceQuoted(s));
  }
}

TEST(JsonWriterTest, ObjectMembersAreSeparatedByCommas) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").Int(1);
  w.Key("b").String("two");
  w.Key("c").Bool(true);
  w.Key("d").Bool(false);
  w.Key("e").Null();
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":"two","c":true,"d":false,"e":null})");
}

TEST(JsonWriterTest, EmptyContainers) {
  JsonWriter w;
  w.BeginObject();
  w.Key("o").BeginObject();
  w.EndObject();
  w.Key("a").BeginArray();
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"o":{},"a":[]})");
}

TEST(JsonWriterTest, NestedArraysAndObjects) {
  JsonWriter w;
  w.BeginArray();
  w.BeginArray();
  w.EndArray();
  w.BeginArray();
  w.Int(1);
  w.Int(2);
  w.EndArray();
  w.BeginObject();
  w.Key("k").BeginArray();
  w.BeginObject();
  w.EndObject();
  w.BeginObject();
  w.Key("x").Int(-3);
  w.EndObject();
  w.EndArray();
  w.Key("after").String("y");
  w.EndObject();
  w.String("tail");
  w.EndArray();
  EXPECT_EQ(w.str(), R"([[],[1,2],{"k":[{},{"x":-3}],"after":"y"},"tail"])");
  EXPECT_NO_THROW(json::parse(w.str()));
}

TEST(JsonWriterTest, KeysAreEscaped) {
  JsonWriter w;
  w.BeginObject();
  w.Key("request.0.\"x\"\n").Int(0);
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"request.0.\"x\"\n":0})");
  json::value v = json::parse(w.str());
  EXPECT_TRUE(v.as_object().contains("request.0.\"x\"\n"));
}

TEST(JsonWriterTest, KeyWithSuffix) {
  JsonWriter w;
  w.BeginObject();
  w.Key("price").Int(1);
  w.Key("price", "_formatted").String("£0.01");
  w.Key("a\"b", "\n").Null();
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"price":1,"price_formatted":"£0.01","a\"b\n":null})");
}

TEST(JsonWriterTest, OptString) {
  JsonWriter w;
  w.BeginArray();
  w.OptString(std::nullopt);
  w.OptString(std::string("tx-1"));
  w.OptString(std::string(""));
  w.EndArray();
  EXPECT_EQ(w.str(), R"([null,"tx-1",""])");
}

TEST(JsonWriterTest, IntExtremes) {
  JsonWriter w;
  w.BeginArray();
  w.Int(0);
  w.Int(std::numeric_limits<std::int64_t>::max());
  w.Int(std::numeric_limits<std::int64_t>::min());
  w.EndArray();
  EXPECT_EQ(w.str(), "[0,9223372036854775807,-9223372036854775808]");
}

TEST(JsonWriterTest, MoneyHasExactlyTheCurrencyDigits) {
  JsonWriter w;
  w.BeginObject();
  w.Key("gbp").Money(201, 2);
  w.Key("round").Money(1000, 2);
  w.Key("pennies").Money(5, 2);
  w.Key("zero").Money(0, 2);
  w.Key("jpy").Money(1500, 0);
  w.Key("jpy_zero").Money(0, 0);
  w.Key("three").Money(1234, 3);
  w.EndObject();
  EXPECT_EQ(w.str(),
            R"({"gbp":2.01,"round":10.00,"pennies":0.05,"zero":0.00,"jpy":1500,"jpy_zero":0,)"
            R"("three":1.234})");
  json::value v = json::parse(w.str());
  EXPECT_NEAR(v.at("gbp").to_number<double>(), 2.01, 1e-12);
  EXPECT_NEAR(v.at("round").to_number<double>(), 10.0, 1e-12);
  EXPECT_EQ(v.at("jpy").to_number<std::int64_t>(), 1500);
}

TEST(JsonWriterTest, NegativeMoney) {
  JsonWriter w;
  w.BeginArray();
  w.Money(-50, 2);
  w.Money(-5, 2);
  w.Money(-201, 2);
  w.Money(-1500, 0);
  w.Money(std::numeric_limits<std::int64_t>::min(), 2);
  w.EndArray();
  EXPECT_EQ(w.str(), "[-0.50,-0.05,-2.01,-1500,-92233720368547758.08]");
  json::value v = json::parse(w.str());
  EXPECT_NEAR(v.at(0).to_number<double>(), -0.5, 1e-12);
  EXPECT_NEAR(v.at(1).to_number<double>(), -0.05, 1e-12);
}

TEST(JsonWriterTest, RawIsInsertedVerbatimWithSeparators) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").Raw(R"({"first_name":"Ann","age":null})");
  w.Key("b").Int(1);
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":{"first_name":"Ann","age":null},"b":1})");

  JsonWriter arr;
  arr.BeginArray();
  arr.Raw("1");
  arr.Raw("[2]");
  arr.EndArray();
  EXPECT_EQ(arr.str(), "[1,[2]]");
}

TEST(JsonWriterTest, TakeMovesTheText) {
  JsonWriter w;
  w.BeginObject();
  w.Key("k").String("v");
  w.EndObject();
  const std::string text = w.Take();
  EXPECT_EQ(text, R"({"k":"v"})");
}

TEST(JsonWriterTest, OptionalIntegerIsNullWhenAbsent) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").OptInt(std::optional<std::int64_t>(-42));
  w.Key("b").OptInt(std::nullopt);
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":-42,"b":null})");
}

TEST(JsonWriterTest, TopLevelScalars) {
  JsonWriter s;
  s.String("only");
  EXPECT_EQ(s.str(), R"("only")");
  JsonWriter n;
  n.Null();
  EXPECT_EQ(n.str(), "null");
}

// AppendJsonString scans eight bytes at a time: every byte value, at every
// position of a word and across word boundaries, must be escaped exactly as
// Boost.JSON's serialiser escapes it (the two agree on all but U+2028/2029,
// which only a 0xE2 0x80 0xA8/0xA9 sequence forms; a lone 0xE2 is copied).
TEST(JsonWriterTest, EveryByteAtEveryPositionEscapesAsBoostJson) {
  for (int b = 1; b < 256; ++b) {
    for (std::size_t len : {1u, 7u, 8u, 9u, 16u, 17u, 24u}) {
      for (std::size_t pos = 0; pos < len; ++pos) {
        std::string s(len, 'a');
        s[pos] = static_cast<char>(b);
        std::string ours;
        AppendJsonString(ours, s);
        ASSERT_EQ(ours, boost::json::serialize(boost::json::string(s)))
            << "byte 0x" << std::hex << b << std::dec << " at " << pos << " of " << len;
      }
    }
  }
  // The separators themselves, at each position of a 20-byte string.
  for (std::size_t pos = 0; pos + 3 <= 20; ++pos) {
    std::string s(20, 'x');
    s.replace(pos, 3, "\xe2\x80\xa8");
    std::string ours;
    AppendJsonString(ours, s);
    EXPECT_EQ(ours, "\"" + std::string(pos, 'x') + "\\u2028" + std::string(17 - pos, 'x') + "\"");
  }
}

}  // namespace
}  // namespace offerledger
