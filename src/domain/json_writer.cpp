#include "domain/json_writer.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace offerledger {

namespace {

// The bytes AppendJsonString cannot copy as they are: controls, '"', '\\',
// and 0xE2, the first byte of U+2028/2029 (the two after it decide).
constexpr std::array<bool, 256> kNeedsLook = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = t['\\'] = t[0xE2] = true;
  return t;
}();

// Whether any of the eight bytes of `w` is one kNeedsLook marks: below 0x20,
// '"', '\\' or 0xE2 (the classic "has a zero byte" / "has a byte less than
// n" bit tricks, exact for every byte value; n = 0x20 <= 0x80 as they need).
constexpr bool AnyNeedsLook(std::uint64_t w) {
  constexpr std::uint64_t k01 = 0x0101010101010101ULL;
  constexpr std::uint64_t k80 = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t x) { return ((x - k01) & ~x & k80) != 0; };
  const bool below_space = ((w - k01 * 0x20) & ~w & k80) != 0;
  return below_space || has_zero(w ^ (k01 * '"')) || has_zero(w ^ (k01 * '\\')) ||
         has_zero(w ^ (k01 * 0xE2));
}

// The inside of a JSON string literal for `s`.
void AppendEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < s.size()) {
    // Most characters are copied as they are: find the end of the run with
    // one table look-up per byte and append the run at once.
    const std::size_t run = i;
    // Eight bytes at a time while none of them needs a look, then byte by
    // byte up to the one that does: most text has long clean runs (Render
    // and the stored documents spent ~5% of a get quote's CPU here).
    while (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, sizeof word);
      if (AnyNeedsLook(word)) break;
      i += 8;
    }
    while (i < s.size() && !kNeedsLook[static_cast<unsigned char>(s[i])]) ++i;
    out.append(s.data() + run, i - run);
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else if (i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xA9)) {  // 0xE2: U+2028/2029?
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  AppendEscaped(out, s);
  out += '"';
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (need_comma_) out_ += ',';
}

void JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  need_comma_ = false;
}
void JsonWriter::EndObject() {
  out_ += '}';
  need_comma_ = true;
}
void JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  need_comma_ = false;
}
void JsonWriter::EndArray() {
  out_ += ']';
  need_comma_ = true;
}
JsonWriter& JsonWriter::Key(std::string_view key) {
  if (need_comma_) out_ += ',';
  AppendJsonString(out_, key);
  out_ += ':';
  after_key_ = true;
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::Key(std::string_view key, std::string_view suffix) {
  if (need_comma_) out_ += ',';
  out_ += '"';
  AppendEscaped(out_, key);
  AppendEscaped(out_, suffix);
  out_ += "\":";
  after_key_ = true;
  need_comma_ = false;
  return *this;
}
void JsonWriter::String(std::string_view s) {
  Separate();
  AppendJsonString(out_, s);
  need_comma_ = true;
}
void JsonWriter::OptString(const std::optional<std::string>& s) {
  if (s) {
    String(*s);
  } else {
    Null();
  }
}
void JsonWriter::OptInt(const std::optional<std::int64_t>& v) {
  if (v) {
    Int(*v);
  } else {
    Null();
  }
}
void JsonWriter::Int(std::int64_t v) {
  Separate();
  char buf[24];
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  need_comma_ = true;
}
void JsonWriter::Bool(bool v) {
  Separate();
  out_ += v ? "true" : "false";
  need_comma_ = true;
}
void JsonWriter::Null() {
  Separate();
  out_ += "null";
  need_comma_ = true;
}
void JsonWriter::Money(MinorUnits amount, int exponent) {
  Separate();
  AppendDecimal(out_, amount, exponent);
  need_comma_ = true;
}
void JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
  need_comma_ = true;
}

}  // namespace offerledger
