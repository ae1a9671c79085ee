#include "integration/cassette.h"

#include <zlib.h>

#include <filesystem>
#include <stdexcept>

#include <yaml-cpp/yaml.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace itest {

namespace json = boost::json;

namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ReadHeaders(const YAML::Node& node) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!node || !node.IsMap()) return out;
  for (const auto& kv : node) {
    const std::string name = kv.first.as<std::string>();
    if (kv.second.IsSequence()) {
      for (const auto& v : kv.second) out.emplace_back(name, v.as<std::string>());
    } else if (kv.second.IsScalar()) {
      out.emplace_back(name, kv.second.as<std::string>());
    }
  }
  return out;
}

std::string TargetOf(const std::string& uri) {
  const std::size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri;
  const std::size_t slash = uri.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : uri.substr(slash);
}

bool IsIndexKey(std::string_view k) {
  return !k.empty() && k.find_first_not_of("0123456789") == std::string_view::npos;
}

bool IsIdKey(std::string_view k) {
  return k == "id" || (k.size() > 3 && k.substr(k.size() - 3) == "_id");
}

}  // namespace

std::string Gunzip(std::string_view compressed) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw std::runtime_error("gzip inflate failed: " + std::to_string(rc));
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      throw std::runtime_error("gzip stream truncated");
    }
  }
  inflateEnd(&zs);
  return out;
}

std::vector<Interaction> LoadCassette(const std::string& name) {
  const std::string file =
      std::string(OFFERLEDGER_SOURCE_DIR) + "/tests/fixtures/xcover-cassettes/" + name + ".yaml";
  const YAML::Node root = YAML::LoadFile(file);
  std::vector<Interaction> out;
  for (const auto& it : root["interactions"]) {
    Interaction x;
    const YAML::Node rq = it["request"];
    x.request.method = rq["method"].as<std::string>();
    x.request.uri = rq["uri"].as<std::string>();
    x.request.target = TargetOf(x.request.uri);
    if (rq["body"] && !rq["body"].IsNull()) x.request.body = rq["body"].as<std::string>();
    x.request.headers = ReadHeaders(rq["headers"]);

    const YAML::Node rs = it["response"];
    x.response.status = rs["status"]["code"].as<int>();
    x.response.headers = ReadHeaders(rs["headers"]);
    const YAML::Node body = rs["body"]["string"];
    std::string raw;
    if (body.Tag() == "tag:yaml.org,2002:binary") {
      const YAML::Binary bin = body.as<YAML::Binary>();
      raw.assign(reinterpret_cast<const char*>(bin.data()), bin.size());
    } else if (body && !body.IsNull()) {
      raw = body.as<std::string>();
    }
    bool gzip = false;
    for (const auto& [k, v] : x.response.headers) {
      if (LowerAscii(k) == "content-encoding" && LowerAscii(v).find("gzip") != std::string::npos) {
        gzip = true;
      }
    }
    x.response.body = gzip ? Gunzip(raw) : raw;
    out.push_back(std::move(x));
  }
  if (out.empty()) throw std::runtime_error("no interactions in " + file);
  return out;
}

std::string KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "?";
}

std::string LastTwoKeys(const std::string& path) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    std::string seg = path.substr(start, dot - start);
    while (seg.size() >= 2 && seg.compare(seg.size() - 2, 2, "[]") == 0) seg.resize(seg.size() - 2);
    if (!seg.empty() && seg != "*" && !IsIndexKey(seg)) names.push_back(seg);
    start = dot + 1;
  }
  if (names.empty()) return "";
  if (names.size() == 1) return names[0];
  return names[names.size() - 2] + "." + names.back();
}

namespace {

void CollectNulls(const json::value& v, const std::string& path, std::set<std::string>& out) {
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      const std::string child = (path.empty() ? "" : path + ".") + std::string(kv.key());
      if (kv.value().is_null()) out.insert(LastTwoKeys(child));
      CollectNulls(kv.value(), child, out);
    }
  } else if (v.is_array()) {
    for (const auto& x : v.get_array()) CollectNulls(x, path + "[]", out);
  }
}

}  // namespace

const std::set<std::string>& NullableKeys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(
             std::filesystem::path(OFFERLEDGER_SOURCE_DIR) / "tests/fixtures/xcover-cassettes")) {
      if (e.path().extension() != ".yaml") continue;
      for (const Interaction& x : LoadCassette(e.path().stem().string())) {
        boost::system::error_code ec;
        const json::value v = json::parse(x.response.body, ec);
        if (!ec) CollectNulls(v, "", out);
      }
    }
    return out;
  }();
  return keys;
}

void CompareShape(const json::value& recorded, const json::value& ours,
                  const std::vector<std::string>& allow_missing,
                  const std::set<std::string>& nullable, ShapeResult& out,
                  const std::string& path) {
  const std::string where = path.empty() ? "(root)" : path;
  if (recorded.is_null()) return;  // recorded null matches anything
  if (ours.is_null() && nullable.count(LastTwoKeys(path)) > 0) return;
  if (KindName(recorded) != KindName(ours)) {
    out.problems.push_back(where + ": recorded " + KindName(recorded) + ", got " + KindName(ours) +
                           " " + json::serialize(ours).substr(0, 80));
    return;
  }
  if (recorded.is_object()) {
    const json::object& ro = recorded.get_object();
    const json::object& oo = ours.get_object();
    for (const auto& kv : ro) {
      const std::string key(kv.key());
      const std::string child =
          (path.empty() ? "" : path + ".") + (IsIndexKey(key) ? std::string("*") : key);
      const json::value* mine = oo.if_contains(kv.key());
      if (mine == nullptr) {
        bool allowed = false;
        for (const auto& a : allow_missing) {
          if (child == a || child.rfind(a + ".", 0) == 0 || child.rfind(a + "[]", 0) == 0) {
            allowed = true;
          }
        }
        if (allowed) {
          out.skipped.push_back(child);
        } else {
          out.problems.push_back(child + ": recorded key is missing (recorded " +
                                 KindName(kv.value()) + ")");
        }
        continue;
      }
      if ((key == "status" || key == "currency") && kv.value().is_string() && mine->is_string() &&
          kv.value().get_string() != mine->get_string()) {
        out.problems.push_back(child + ": recorded \"" + std::string(kv.value().get_string()) +
                               "\", got \"" + std::string(mine->get_string()) + "\"");
      }
      CompareShape(kv.value(), *mine, allow_missing, nullable, out, child);
    }
    return;
  }
  if (recorded.is_array()) {
    const json::array& ra = recorded.get_array();
    const json::array& oa = ours.get_array();
    if (!ra.empty() && !oa.empty()) {
      CompareShape(ra[0], oa[0], allow_missing, nullable, out, path + "[]");
    }
  }
}

namespace {

// The first 19 characters ("2021-10-02T00:03:25") of an element's
// policy_start_date: recorded "+00:00" and "Z" forms compare equal.
std::string StartDateOf(const json::value& v) {
  if (!v.is_object()) return "";
  const json::value* d = v.get_object().if_contains("policy_start_date");
  if (d == nullptr || !d->is_string()) return "";
  return std::string(d->get_string()).substr(0, 19);
}

// For a recorded element, our element with the same policy_start_date when
// exactly one has it; else `fallback`.
const json::value* PairByStartDate(const json::value& rec,
                                   const std::vector<const json::value*>& ours,
                                   const json::value* fallback) {
  const std::string date = StartDateOf(rec);
  if (date.empty()) return fallback;
  const json::value* found = nullptr;
  int matches = 0;
  for (const json::value* o : ours) {
    if (StartDateOf(*o) == date) {
      found = o;
      ++matches;
    }
  }
  return matches == 1 ? found : fallback;
}

}  // namespace

void LearnIds(const json::value& recorded, const json::value& ours,
              std::map<std::string, std::string>& ids, std::vector<std::string>& problems,
              const std::string& path) {
  if (recorded.is_object() && ours.is_object()) {
    const json::object& oo = ours.get_object();
    std::vector<const json::value*> siblings;  // for index-keyed objects: quotes {"0": ...}
    for (const auto& kv : oo) {
      if (IsIndexKey(kv.key())) siblings.push_back(&kv.value());
    }
    for (const auto& kv : recorded.get_object()) {
      const json::value* mine = oo.if_contains(kv.key());
      if (IsIndexKey(kv.key())) mine = PairByStartDate(kv.value(), siblings, mine);
      if (mine == nullptr) continue;
      const std::string child = (path.empty() ? "" : path + ".") + std::string(kv.key());
      if (IsIdKey(kv.key()) && kv.value().is_string() && mine->is_string()) {
        const std::string rec(kv.value().get_string());
        const std::string got(mine->get_string());
        if (rec.size() < 8) continue;  // not an id worth rewriting
        auto [it, inserted] = ids.emplace(rec, got);
        if (!inserted && it->second != got) {
          problems.push_back(child + ": the recorded id " + rec + " was answered earlier as " +
                             it->second + ", now as " + got);
        }
        continue;
      }
      LearnIds(kv.value(), *mine, ids, problems, child);
    }
    return;
  }
  if (recorded.is_array() && ours.is_array()) {
    const json::array& ra = recorded.get_array();
    const json::array& oa = ours.get_array();
    std::vector<const json::value*> siblings;
    for (const auto& x : oa) siblings.push_back(&x);
    for (std::size_t i = 0; i < ra.size(); ++i) {
      const json::value* mine = PairByStartDate(ra[i], siblings, i < oa.size() ? &oa[i] : nullptr);
      if (mine != nullptr)
        LearnIds(ra[i], *mine, ids, problems, path + "[" + std::to_string(i) + "]");
    }
  }
}

std::string ReplaceIds(std::string text, const std::map<std::string, std::string>& ids) {
  for (const auto& [rec, ours] : ids) {
    if (rec == ours) continue;
    for (std::size_t pos = text.find(rec); pos != std::string::npos;
         pos = text.find(rec, pos + ours.size())) {
      text.replace(pos, rec.size(), ours);
    }
  }
  return text;
}

}  // namespace itest
