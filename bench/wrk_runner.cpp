#include "wrk_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include <boost/json.hpp>

namespace offerledger::bench {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  dirs += ":/usr/sbin:/sbin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

namespace {

std::uint64_t U64(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return v->as_int64() > 0 ? static_cast<std::uint64_t>(v->as_int64()) : 0;
  if (v->is_double()) return v->as_double() > 0 ? static_cast<std::uint64_t>(v->as_double()) : 0;
  return 0;
}

double Dbl(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_number() ? v->to_number<double>() : 0;
}

const json::object& Obj(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? v->get_object() : kEmpty;
}

}  // namespace

WrkResult RunWrk(const WrkOptions& options, const std::string& scenario, std::uint16_t port,
                 const std::vector<std::string>& args, const Credentials& creds,
                 const fs::path& out_json, const fs::path& log) {
  std::error_code ec;
  fs::remove(out_json, ec);
  std::vector<std::string> argv{options.wrk,
                                "-t" + std::to_string(options.threads),
                                "-c" + std::to_string(options.connections),
                                "-d" + std::to_string(static_cast<int>(options.seconds)) + "s",
                                "--timeout",
                                std::to_string(options.timeout_s) + "s",
                                "-s",
                                (options.scripts / (scenario + ".lua")).string(),
                                "http://" + std::string(kHost) + ":" + std::to_string(port),
                                "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("threads=" + std::to_string(options.threads));
  argv.push_back("out=" + out_json.string());
  SpawnOptions spawn;
  spawn.env = {"OFFERLEDGER_BENCH_KEY=" + creds.api_key,
               "OFFERLEDGER_BENCH_SECRET=" + creds.api_secret};
  const fs::path out = log.string() + ".out";
  const fs::path err = log.string() + ".err";
  const pid_t pid = Spawn(argv, out, err, spawn);
  RegisterChild(pid);
  const auto limit = std::chrono::seconds(static_cast<int>(options.seconds) + 60);
  double cpu_seconds = 0;
  const auto rc =
      WaitFor(pid, std::chrono::duration_cast<std::chrono::milliseconds>(limit), &cpu_seconds);
  if (!rc) Die("wrk (" + scenario + ") did not finish within its duration + 60 s");
  ForgetChild(pid);
  if (*rc != 0) {
    Die("wrk (" + scenario + ") exited with " + std::to_string(*rc) + ": " + ReadFile(err) +
        ReadFile(out));
  }
  const std::string text = ReadFile(out_json);
  json::error_code jec;
  json::value v = json::parse(text, jec);
  if (jec || !v.is_object()) {
    Die("wrk (" + scenario + ") wrote no JSON summary to " + out_json.string() + " (" +
        jec.message() + "); its stderr: " + ReadFile(err));
  }
  const json::object& o = v.get_object();
  WrkResult r;
  r.scenario = scenario;
  r.cpu_seconds = cpu_seconds;
  r.reference =
      o.contains("reference") && o.at("reference").is_bool() && o.at("reference").as_bool();
  r.seconds = Dbl(o, "duration_us") / 1e6;
  r.requests = U64(o, "requests");
  const json::object& status = Obj(o, "status");
  r.s200 = U64(status, "200");
  r.s201 = U64(status, "201");
  r.s204 = U64(status, "204");
  r.other = U64(status, "other");
  r.unusable = U64(o, "unusable");
  r.sent = U64(o, "sent");
  r.exhausted =
      o.contains("exhausted") && o.at("exhausted").is_bool() && o.at("exhausted").as_bool();
  const json::object& lat = Obj(o, "latency_us");
  r.mean_us = Dbl(lat, "mean");
  r.max_us = U64(lat, "max");
  r.p50_us = U64(lat, "p50");
  r.p90_us = U64(lat, "p90");
  r.p99_us = U64(lat, "p99");
  r.p999_us = U64(lat, "p99.9");
  const json::object& errors = Obj(o, "errors");
  r.connect_errors = U64(errors, "connect");
  r.read_errors = U64(errors, "read");
  r.write_errors = U64(errors, "write");
  r.timeouts = U64(errors, "timeout");
  if (const json::value* f = o.if_contains("first_error"); f != nullptr && f->is_string()) {
    r.first_error = std::string(f->get_string());
  }
  if (const json::value* t = o.if_contains("threads"); t != nullptr && t->is_array()) {
    for (const json::value& x : t->get_array()) {
      if (!x.is_object()) continue;
      const json::object& s = x.get_object();
      const std::uint64_t first = U64(s, "slice_first");
      r.slices.push_back({first > 0 ? first - 1 : 0, U64(s, "slice_size"), U64(s, "sent")});
    }
  }
  r.raw = o;
  return r;
}

json::object WrkJson(const WrkResult& r) {
  json::object o;
  o["scenario"] = r.scenario;
  o["reference"] = r.reference;
  o["seconds"] = r.seconds;
  o["responses"] = r.requests;
  o["ok"] = r.ok();
  o["ok_per_second"] = r.ok_per_second();
  o["status"] = json::object{{"200", r.s200}, {"201", r.s201}, {"204", r.s204}, {"other", r.other}};
  o["unusable"] = r.unusable;
  o["sent"] = r.sent;
  o["unanswered"] = r.unanswered();
  o["latency_us"] = json::object{{"mean", r.mean_us}, {"p50", r.p50_us},    {"p90", r.p90_us},
                                 {"p99", r.p99_us},   {"p99.9", r.p999_us}, {"max", r.max_us}};
  o["socket_errors"] = json::object{{"connect", r.connect_errors},
                                    {"read", r.read_errors},
                                    {"write", r.write_errors},
                                    {"timeout", r.timeouts}};
  o["first_error"] = r.first_error;
  o["wrk_cpu_seconds"] = r.cpu_seconds;
  o["wrk_cpu_us_per_response"] = r.cpu_us_per_response();
  return o;
}

}  // namespace offerledger::bench
