#include "api/json_writer.h"

namespace offerledger {

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of characters that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    // Most characters are copied as they are: append them in runs, not one by one.
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0xE2) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
          i += 2;
          run = i + 1;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out.append(s.data() + run, s.size() - run);
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
void JsonWriter::Int(std::int64_t v) {
  Separate();
  out_ += std::to_string(v);
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
  out_ += FormatDecimal(amount, exponent);
  need_comma_ = true;
}
void JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
  need_comma_ = true;
}

}  // namespace offerledger
