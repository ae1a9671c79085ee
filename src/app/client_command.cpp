// `offerledger client ...`: the partner side of the API from the command
// line, on the partner SDK (src/client, docs/client.md). Configuration comes
// from the variables the official XCover clients read (XC_BASE_URL,
// XC_PARTNER_CODE, XC_AUTH_API_KEY, XC_AUTH_API_SECRET, XC_AUTH_ALGORITHM,
// XC_AUTH_HEADERS) and flags; output is JSON (--pretty for people).
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "app/commands.h"
#include "client/client.h"
#include "client/outbox.h"

namespace offerledger {

namespace {

namespace json = boost::json;
using client::ApiError;
using client::TransportError;

struct ClientOptions {
  std::string base_url, partner, api_key, api_secret, algorithm, headers, outbox, ca_file;
  double timeout_s = 0;
  bool insecure = false;
  bool pretty = false;
  // Subcommand arguments.
  std::string id, file;
  bool durable = false;
  bool preview = false;
  std::string confirm;  // cancellation id
  int limit = -1;
  double max_wait_s = 0;
};

// Writes `v` as JSON: compact, or indented for people. Numbers keep the
// shortest form that reads back the same (2.01, not Boost.JSON's 2.01E0), so
// prices look as the server sent them.
void WriteJson(std::ostream& os, const json::value& v, bool pretty,
               const std::string& indent = "") {
  const char* nl = pretty ? "\n" : "";
  const std::string inner = pretty ? indent + "  " : "";
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        os << "{}";
        return;
      }
      os << "{" << nl;
      bool first = true;
      for (const auto& kv : o) {
        if (!first) os << "," << nl;
        first = false;
        os << inner << json::serialize(json::string(kv.key())) << (pretty ? ": " : ":");
        WriteJson(os, kv.value(), pretty, inner);
      }
      os << nl << (pretty ? indent : "") << "}";
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        os << "[]";
        return;
      }
      os << "[" << nl;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) os << "," << nl;
        os << inner;
        WriteJson(os, a[i], pretty, inner);
      }
      os << nl << (pretty ? indent : "") << "]";
      return;
    }
    case json::kind::double_: {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
      if (r.ec == std::errc() && std::isfinite(v.get_double())) {
        os << std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
        return;
      }
      os << json::serialize(v);
      return;
    }
    default:
      os << json::serialize(v);
  }
}

void Print(const ClientOptions& o, const json::value& v) {
  WriteJson(std::cout, v, o.pretty);
  std::cout << std::endl;
}

client::Config MakeConfig(const ClientOptions& o) {
  client::Config c;
  try {
    c = client::ConfigFromEnv();
  } catch (const std::invalid_argument& e) {
    std::cerr << "offerledger client: " << e.what() << "\n";
    throw CLI::RuntimeError(2);
  }
  if (!o.base_url.empty()) c.base_url = o.base_url;
  if (!o.partner.empty()) c.partner_code = o.partner;
  if (!o.api_key.empty()) c.api_key = o.api_key;
  if (!o.api_secret.empty()) c.api_secret = o.api_secret;
  if (!o.algorithm.empty()) {
    auto a = client::ParseAlgorithm(o.algorithm);
    if (!a) {
      std::cerr << "offerledger client: unknown --algorithm " << o.algorithm << "\n";
      throw CLI::RuntimeError(2);
    }
    c.algorithm = *a;
  }
  if (!o.headers.empty()) c.signed_headers = client::ParseHeaderList(o.headers);
  if (o.timeout_s > 0)
    c.timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout_s * 1000));
  if (!o.outbox.empty()) c.outbox_path = o.outbox;
  if (!o.ca_file.empty()) c.ca_file = o.ca_file;
  if (o.insecure) c.verify_tls = false;
  return c;
}

void RequireCredentials(const client::Config& c) {
  if (c.partner_code.empty() || c.api_key.empty() || c.api_secret.empty()) {
    std::cerr << "offerledger client: set XC_PARTNER_CODE, XC_AUTH_API_KEY and XC_AUTH_API_SECRET "
                 "(or --partner, --api-key, --api-secret)\n";
    throw CLI::RuntimeError(2);
  }
}

json::value ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "offerledger client: cannot read " << path << "\n";
    throw CLI::RuntimeError(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) {
    std::cerr << "offerledger client: " << path << " is not JSON: " << ec.message() << "\n";
    throw CLI::RuntimeError(2);
  }
  return v;
}

// Runs `fn`, turning SDK errors into a JSON error on stderr and exit 1.
template <class Fn>
void Guard(Fn&& fn) {
  try {
    fn();
  } catch (const CLI::Error&) {
    throw;  // an exit code chosen already (2 for bad input); also a runtime_error
  } catch (const ApiError& e) {
    json::object err{{"error", "api"},
                     {"status", e.status()},
                     {"type", e.type()},
                     {"message", e.message()},
                     {"attempts", e.attempts()}};
    std::cerr << json::serialize(err) << std::endl;
    throw CLI::RuntimeError(1);
  } catch (const TransportError& e) {
    json::object err{{"error", "transport"}, {"message", e.what()}, {"attempts", e.attempts()}};
    std::cerr << json::serialize(err) << std::endl;
    throw CLI::RuntimeError(1);
  } catch (const std::runtime_error& e) {
    std::cerr << json::serialize(json::object{{"error", "local"}, {"message", e.what()}})
              << std::endl;
    throw CLI::RuntimeError(1);
  } catch (const std::invalid_argument& e) {
    std::cerr << json::serialize(json::object{{"error", "config"}, {"message", e.what()}})
              << std::endl;
    throw CLI::RuntimeError(2);
  }
}

json::value EntryJson(const client::OutboxEntry& e) {
  return json::object{{"id", e.id},
                      {"partner", e.partner},
                      {"package_id", e.package_id},
                      {"state", e.state},
                      {"attempts", e.attempts},
                      {"last_status", e.last_status},
                      {"last_error", e.last_error},
                      {"idempotency_key", e.idempotency_key},
                      {"created_at", FormatIsoMicros(e.created_at)},
                      {"finished_at", e.finished_at ? json::value(FormatIsoMicros(e.finished_at))
                                                    : json::value(nullptr)}};
}

json::value CountsJson(client::Outbox& box) {
  const auto c = box.Counts();
  return json::object{{"outbox", box.path()},
                      {"pending", c.pending},
                      {"delivered", c.delivered},
                      {"failed", c.failed}};
}

// Delivers the outbox until nothing is pending. Entries are sent with the
// partner code they were queued under.
void Flush(const ClientOptions& o) {
  client::Config cfg = MakeConfig(o);
  client::Outbox box(cfg.outbox_path);
  const auto failed_before = box.Counts().failed;
  std::map<std::string, std::unique_ptr<client::Client>> clients;
  client::SenderOptions so;
  so.retry = cfg.retry;
  so.retry.cap = std::chrono::seconds(5);
  client::OutboxSender sender(
      box,
      [&](const client::OutboxEntry& e) {
        auto& c = clients[e.partner];
        if (!c) {
          client::Config pc = cfg;
          pc.partner_code = e.partner;
          pc.retry.max_attempts = 1;  // the outbox does the retrying
          c = std::make_unique<client::Client>(pc);
        }
        c->OptOutWithKey(e.package_id, e.idempotency_key);
      },
      so);
  const auto wait = o.max_wait_s > 0
                        ? std::chrono::milliseconds(static_cast<long long>(o.max_wait_s * 1000))
                        : std::chrono::milliseconds(std::chrono::hours(24 * 365));
  const bool empty = sender.Flush(wait);
  json::value counts = CountsJson(box);
  Print(o, counts);
  if (!empty || box.Counts().failed > failed_before) throw CLI::RuntimeError(1);
}

}  // namespace

void RegisterClientCommand(CLI::App& app) {
  auto o = std::make_shared<ClientOptions>();
  CLI::App* cmd = app.add_subcommand(
      "client", "Call an XCover-compatible partner API (offerledger or XCover) as a partner");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  cmd->add_option("--base-url", o->base_url,
                  "API base URL (XC_BASE_URL), e.g. https://api.xcover.com/xcover/");
  cmd->add_option("--partner", o->partner, "Partner code (XC_PARTNER_CODE)");
  cmd->add_option("--api-key", o->api_key, "API key (XC_AUTH_API_KEY)");
  cmd->add_option("--api-secret", o->api_secret, "API secret (XC_AUTH_API_SECRET)");
  cmd->add_option("--algorithm", o->algorithm,
                  "hmac-sha256|hmac-sha384|hmac-sha512 (XC_AUTH_ALGORITHM)");
  cmd->add_option("--headers", o->headers,
                  "Signed headers (XC_AUTH_HEADERS), default \"(request-target) date\"");
  cmd->add_option("--timeout", o->timeout_s, "Seconds per attempt (default 10)");
  cmd->add_option(
      "--outbox", o->outbox,
      "Outbox file (XC_OUTBOX; default $XDG_STATE_HOME or ~/.local/state/offerledger/outbox.db)");
  cmd->add_option("--ca-file", o->ca_file, "Extra trusted CA certificates (PEM)");
  cmd->add_flag("--insecure", o->insecure, "Do not verify TLS certificates (testing only)");
  cmd->add_flag("--pretty", o->pretty, "Indented JSON");

  CLI::App* quote = cmd->add_subcommand("quote", "Create a quote package from FILE.json");
  quote->add_option("FILE", o->file, "Quote request body")->required();
  quote->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      client::Client c(cfg);
      Print(*o, c.CreateQuote(ReadJsonFile(o->file)));
    });
  });

  CLI::App* opt = cmd->add_subcommand("opt-out", "Report that the customer declined package ID");
  opt->add_option("ID", o->id, "Quote package id")->required();
  opt->add_flag("--durable", o->durable,
                "Commit to the local outbox and exit; `outbox flush` (or the SDK) delivers it");
  opt->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      if (o->durable) {
        if (cfg.partner_code.empty()) {
          std::cerr << "offerledger client: set XC_PARTNER_CODE or --partner\n";
          throw CLI::RuntimeError(2);
        }
        client::Outbox box(cfg.outbox_path);
        const auto entry = box.Enqueue(cfg.partner_code, o->id, NowMicros());
        Print(*o, json::object{
                      {"id", o->id}, {"queued", true}, {"outbox", box.path()}, {"entry", entry}});
        return;
      }
      RequireCredentials(cfg);
      client::Client c(cfg);
      c.OptOut(o->id);
      Print(*o, json::object{{"id", o->id}, {"opted_out", true}});
    });
  });

  CLI::App* book = cmd->add_subcommand("book", "Book package ID with the body in FILE.json");
  book->add_option("ID", o->id, "Quote package id")->required();
  book->add_option("FILE", o->file, "Booking body (quotes, policyholder)")->required();
  book->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      client::Client c(cfg);
      Print(*o, c.CreateBooking(o->id, ReadJsonFile(o->file)));
    });
  });

  CLI::App* update = cmd->add_subcommand(
      "update", "Update (re-price) quote package ID with the body in FILE.json (PATCH)");
  update->add_option("ID", o->id, "Quote package id")->required();
  update->add_option("FILE", o->file, "Update body, e.g. {\"request\": [...]}")->required();
  update->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      client::Client c(cfg);
      Print(*o, c.UpdateQuote(o->id, ReadJsonFile(o->file)));
    });
  });

  CLI::App* instant = cmd->add_subcommand(
      "instant-book", "Quote and book in one call with the body in FILE.json (instant booking)");
  instant->add_option("FILE", o->file, "Instant booking body (request, policyholder)")->required();
  instant->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      client::Client c(cfg);
      Print(*o, c.InstantBooking(ReadJsonFile(o->file)));
    });
  });

  CLI::App* cancel = cmd->add_subcommand(
      "cancel",
      "Cancel booking ID now; or --preview it (the refund and a cancellation id, nothing "
      "changes), then --confirm that id");
  cancel->add_option("ID", o->id, "Booked quote package id")->required();
  auto* preview_flag = cancel->add_flag(
      "--preview", o->preview, "Only show the refund and a cancellation id to --confirm later");
  cancel
      ->add_option("--confirm", o->confirm,
                   "Apply the cancellation CANCELLATION_ID that --preview returned")
      ->type_name("CANCELLATION_ID")
      ->excludes(preview_flag);
  cancel->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      client::Client c(cfg);
      if (!o->confirm.empty()) {
        Print(*o, c.ConfirmCancellation(o->id, o->confirm));
      } else {
        Print(*o, c.CancelBooking(o->id, json::object{{"preview", o->preview}}));
      }
    });
  });

  CLI::App* get = cmd->add_subcommand("get", "Get quote package ID");
  get->add_option("ID", o->id, "Quote package id")->required();
  get->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      client::Client c(cfg);
      Print(*o, c.GetQuote(o->id));
    });
  });

  CLI::App* bookings = cmd->add_subcommand("bookings", "List bookings");
  bookings->add_option("--limit", o->limit, "Page size");
  bookings->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      client::Client c(cfg);
      Print(*o, c.ListBookings(o->limit >= 0 ? std::optional<int>(o->limit) : std::nullopt));
    });
  });

  CLI::App* outbox = cmd->add_subcommand("outbox", "The durable opt-out outbox");
  outbox->require_subcommand(1);
  outbox->fallthrough();
  outbox->add_subcommand("status", "Counts of pending, delivered and failed entries")
      ->callback([o] {
        Guard([&] {
          client::Outbox box(MakeConfig(*o).outbox_path);
          Print(*o, CountsJson(box));
        });
      });
  CLI::App* list = outbox->add_subcommand("list", "Entries, oldest first");
  list->add_option("--limit", o->limit, "At most N entries (default 1000)");
  list->callback([o] {
    Guard([&] {
      client::Outbox box(MakeConfig(*o).outbox_path);
      json::array a;
      for (const auto& e : box.List({}, o->limit > 0 ? o->limit : 1000)) a.push_back(EntryJson(e));
      Print(*o, a);
    });
  });
  CLI::App* flush = outbox->add_subcommand(
      "flush", "Deliver every pending entry; exit 0 when empty, 1 if an entry failed for good");
  flush->add_option("--max-wait", o->max_wait_s, "Give up after SECONDS (default: never)");
  flush->callback([o] {
    Guard([&] {
      auto cfg = MakeConfig(*o);
      RequireCredentials(cfg);
      Flush(*o);
    });
  });
}

}  // namespace offerledger
