// Reads the micro benchmark JSON (Google Benchmark's --benchmark_out), the
// HTTP benchmark JSON (http_bench --json) and/or the opt-out load JSON
// (optout_load --json), prints one short table with the targets of issue 7
// (micro figures: median CPU time per operation), and writes them all into
// one results file.
//
//   bench_report --micro micro.json --http http.json --out results.json
//   bench_report --micro micro.json --optout optout.json --out results.json
//
// Exit status: 0, or 1 when an input cannot be read. Missing a target is
// reported in the table, not as a failure (a shared 2-core machine is noisy).
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include <boost/json.hpp>

namespace json = boost::json;

namespace {

std::optional<json::value> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "bench_report: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) {
    std::fprintf(stderr, "bench_report: %s is not JSON: %s\n", path.c_str(), ec.message().c_str());
    return std::nullopt;
  }
  return v;
}

double Number(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return 0;
}

double Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? Number(*v) : 0;
}

double ToNanos(double t, std::string_view unit) {
  if (unit == "us") return t * 1e3;
  if (unit == "ms") return t * 1e6;
  if (unit == "s") return t * 1e9;
  return t;
}

std::string Human(double ns) {
  char buf[32];
  if (ns >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  } else if (ns >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.2f us", ns / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  }
  return buf;
}

// name -> CPU time per iteration in ns (not wall time: on a shared machine a
// descheduled benchmark thread inflates wall time, not CPU time): the median
// when repetitions were run, else the one run.
std::map<std::string, double> MicroTimes(const json::object& micro) {
  std::map<std::string, double> plain;
  std::map<std::string, double> median;
  const json::value* list = micro.if_contains("benchmarks");
  if (list == nullptr || !list->is_array()) return plain;
  for (const auto& b : list->as_array()) {
    if (!b.is_object()) continue;
    const auto& o = b.as_object();
    const json::value* unit = o.if_contains("time_unit");
    const double ns = ToNanos(Field(o, "cpu_time"), unit != nullptr && unit->is_string()
                                                        ? std::string_view(unit->as_string())
                                                        : std::string_view("ns"));
    const json::value* run_type = o.if_contains("run_type");
    const json::value* run_name = o.if_contains("run_name");
    const json::value* agg = o.if_contains("aggregate_name");
    const std::string name = run_name != nullptr && run_name->is_string()
                                 ? std::string(run_name->as_string())
                                 : std::string(o.at("name").as_string());
    if (run_type != nullptr && run_type->is_string() && run_type->as_string() == "aggregate") {
      if (agg != nullptr && agg->is_string() && agg->as_string() == "median") median[name] = ns;
    } else if (plain.count(name) == 0) {
      plain[name] = ns;
    }
  }
  for (const auto& [k, v] : median) plain[k] = v;
  return plain;
}

const json::object& Obj(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? v->as_object() : kEmpty;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string Ms(double us) {
  char buf[32];
  const double ms = us / 1000.0;
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f ms" : ms < 100 ? "%.1f ms" : "%.0f ms", ms);
  return buf;
}

// http_bench's JSON: one row per scenario (nginx and offerledger req/s, the
// ratio, offerledger's latency and peak RSS, its CPU per 2xx and the most
// the ratio target leaves it once wrk has its share), then every target it checked.
void PrintHttp(const json::object& h) {
  const json::object& wrk = Obj(h, "wrk");
  std::printf(
      "\nHTTP: wrk -t%d -c%d -d%ds, the same signed requests to %s (`return 204`) and "
      "to offerledger; %d cores shared by the server, wrk and the rest of the machine\n",
      static_cast<int>(Field(wrk, "threads")), static_cast<int>(Field(wrk, "connections")),
      static_cast<int>(Field(wrk, "duration_s")), Str(h, "nginx").c_str(),
      static_cast<int>(Field(h, "cores")));
  std::printf("%-17s %12s %18s %6s %9s %9s %9s %10s %9s %9s\n", "scenario", "nginx req/s",
              "offerledger req/s", "ratio", "p50", "p99", "p99.9", "peak RSS", "cpu/2xx", "budget");
  if (const json::value* sc = h.if_contains("scenarios"); sc != nullptr && sc->is_array()) {
    for (const auto& v : sc->as_array()) {
      if (!v.is_object()) continue;
      const json::object& s = v.as_object();
      const json::object& ol = Obj(s, "offerledger");
      const json::object& lat = Obj(ol, "latency_us");
      char budget[32] = "-";
      if (s.contains("server_cpu_budget_us_at_target")) {
        std::snprintf(budget, sizeof budget, "%.0f us", Field(s, "server_cpu_budget_us_at_target"));
      }
      std::printf("%-17s %12.0f %18.0f %6.2f %9s %9s %9s %7.1f MB %6.0f us %9s\n",
                  Str(s, "label").c_str(), Field(Obj(s, "nginx"), "ok_per_second"),
                  Field(ol, "ok_per_second"), Field(s, "ratio"), Ms(Field(lat, "p50")).c_str(),
                  Ms(Field(lat, "p99")).c_str(), Ms(Field(lat, "p99.9")).c_str(),
                  Field(s, "peak_rss_kb") / 1024.0, Field(s, "server_cpu_us_per_request"), budget);
    }
  }
  if (const json::value* ts = h.if_contains("targets"); ts != nullptr && ts->is_array()) {
    for (const auto& v : ts->as_array()) {
      if (!v.is_object()) continue;
      const json::object& t = v.as_object();
      const bool met = t.contains("met") && t.at("met").is_bool() && t.at("met").as_bool();
      std::printf("%-66s %10s   %s %s\n", Str(t, "what").c_str(), Str(t, "shown").c_str(),
                  Str(t, "limit").c_str(), met ? "ok" : "MISSED");
    }
  }
  const json::object& d = Obj(h, "durability");
  const bool durable = d.contains("ok") && d.at("ok").is_bool() && d.at("ok").as_bool();
  std::printf(
      "(cpu/2xx: offerledger's CPU time per 2xx; budget: the most it may spend per 2xx to meet "
      "the ratio target, what the cores give at that rate minus wrk's own CPU per request)\n");
  std::printf("%-66s %10s   %s\n", "durability: a row for every 2xx, none beyond in-flight",
              durable ? "OK" : "FAILED", "(http_bench's output has the counts)");
}

}  // namespace

int main(int argc, char** argv) {
  std::string micro_path;
  std::string optout_path;
  std::string http_path;
  std::string out_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--micro") {
      micro_path = argv[i + 1];
    } else if (flag == "--optout") {
      optout_path = argv[i + 1];
    } else if (flag == "--http") {
      http_path = argv[i + 1];
    } else if (flag == "--out") {
      out_path = argv[i + 1];
    }
  }
  if (micro_path.empty() && optout_path.empty() && http_path.empty()) {
    std::fprintf(stderr,
                 "usage: bench_report [--micro micro.json] [--http http.json] "
                 "[--optout optout.json] [--out FILE]\n");
    return 2;
  }

  json::object results;
  results["cores"] = std::thread::hardware_concurrency();
  bool ok = true;
  std::printf("\n%-46s %14s   %s\n", "benchmark", "result", "target / detail");
  std::printf("%-46s %14s   %s\n", "---------", "------", "---------------");

  if (!micro_path.empty()) {
    if (auto micro = ReadJson(micro_path); micro && micro->is_object()) {
      const auto times = MicroTimes(micro->as_object());
      struct Row {
        const char* bench;
        const char* label;
        double target_ns;  // 0: none
      };
      const Row rows[] = {
          {"BM_SignatureVerify", "signature verification (hmac-sha512)", 2000},
          {"BM_HmacSha512Prepared", "  of which HMAC-SHA512 (prepared key)", 0},
          {"BM_HmacSha512", "HMAC-SHA512 from the secret (client side)", 0},
          {"BM_SignRequest", "signing a request (client side)", 0},
          {"BM_PriceQuote", "pricing one cassette quote", 0},
          {"BM_RenderQuotePackage", "rendering a one-quote package", 0},
          {"BM_PriceAndRender", "pricing + rendering a one-quote package", 20000},
          {"BM_ParseDecodePriceRender", "parse + decode + price + render (POST body)", 0},
          {"BM_MatchRoute/opt_out", "routing: opt_out", 0},
          {"BM_MatchRoute/create_quote", "routing: quotes/", 0},
          {"BM_MatchRoute/list_bookings", "routing: bookings/?limit=&offset=", 0},
          {"BM_MatchRoute/not_found", "routing: no such route", 0},
      };
      json::array table;
      for (const auto& r : rows) {
        auto it = times.find(r.bench);
        if (it == times.end()) continue;
        std::string target;
        if (r.target_ns > 0) {
          const bool met = it->second <= r.target_ns;
          target = "<= " + Human(r.target_ns) + (met ? " ok" : " MISSED");
        }
        std::printf("%-46s %14s   %s\n", r.label, Human(it->second).c_str(), target.c_str());
        json::object row{{"benchmark", r.bench}, {"label", r.label}, {"ns", it->second}};
        if (r.target_ns > 0) {
          row["target_ns"] = r.target_ns;
          row["met"] = it->second <= r.target_ns;
        }
        table.push_back(std::move(row));
      }
      results["micro_summary"] = std::move(table);
      results["micro"] = std::move(*micro);
    } else {
      ok = false;
    }
  }

  if (!optout_path.empty()) {
    if (auto optout = ReadJson(optout_path); optout && optout->is_object()) {
      const auto& o = optout->as_object();
      if (const json::value* runs = o.if_contains("runs"); runs != nullptr && runs->is_array()) {
        for (const auto& rv : runs->as_array()) {
          const auto& r = rv.as_object();
          const auto& lat = r.at("latency_ms").as_object();
          char label[64];
          char value[32];
          char detail[96];
          std::snprintf(label, sizeof label, "opt-out, %d connection%s",
                        static_cast<int>(Field(r, "connections")),
                        Field(r, "connections") == 1 ? "" : "s");
          std::snprintf(value, sizeof value, "%.0f req/s", Field(r, "requests_per_second"));
          std::snprintf(detail, sizeof detail, "p50 %.2f / p99 %.2f / p99.9 %.2f ms (%d ok)",
                        Field(lat, "p50"), Field(lat, "p99"), Field(lat, "p99.9"),
                        static_cast<int>(Field(r, "ok")));
          std::printf("%-46s %14s   %s\n", label, value, detail);
        }
      }
      if (const json::value* conns = o.if_contains("ratio_connections");
          conns != nullptr && conns->is_array() && conns->as_array().size() == 2) {
        char label[64];
        char value[32];
        std::snprintf(label, sizeof label, "opt-out rate ratio, %d / %d connections",
                      static_cast<int>(Number(conns->as_array()[0])),
                      static_cast<int>(Number(conns->as_array()[1])));
        std::snprintf(value, sizeof value, "%.2fx", Field(o, "ratio"));
        std::printf("%-46s %14s   %s\n", label, value, "(group commit)");
      }
      if (const json::value* d = o.if_contains("durability"); d != nullptr && d->is_object()) {
        const auto& dj = d->as_object();
        const bool dur_ok = dj.at("ok").is_bool() && dj.at("ok").as_bool();
        char value[64];
        std::snprintf(value, sizeof value, "%d / %d", static_cast<int>(Field(dj, "opted_out_rows")),
                      static_cast<int>(Field(dj, "acknowledged_204")));
        std::printf("%-46s %14s   %s\n", "durability: opted_out rows / 204s", value,
                    dur_ok ? "ok (one row per 204)" : "FAILED");
      }
      results["optout"] = std::move(*optout);
    } else {
      ok = false;
    }
  }

  if (!http_path.empty()) {
    if (auto http = ReadJson(http_path); http && http->is_object()) {
      PrintHttp(http->as_object());
      results["http"] = std::move(*http);
    } else {
      ok = false;
    }
  }

  if (!out_path.empty()) {
    std::ofstream f(out_path);
    f << json::serialize(results) << "\n";
    if (!f) {
      std::fprintf(stderr, "bench_report: cannot write %s\n", out_path.c_str());
      ok = false;
    } else {
      std::printf("\nresults: %s\n", out_path.c_str());
    }
  }
  return ok ? 0 : 1;
}
