// `offerledger serve`: the partner API server.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "app/audit_command.h"
#include "app/commands.h"
#include "app/dashboard_assets.h"
#include "app/default_catalog.h"
#include "auth/master_key.h"
#include "auth/signature_verifier.h"
#include "client/transport.h"
#include "domain/catalog.h"
#include "http/partner_routes.h"
#include "http/server.h"
#include "http/tls_context.h"
#include "service/email_sender.h"
#include "service/partner_api.h"
#include "service/partner_limits.h"
#include "service/rate_limiter.h"
#include "service/renewal_sweep.h"
#include "service/secret_sealing.h"
#include "service/smtp_mailer.h"
#include "service/webhook_secret.h"
#include "service/webhook_sender.h"
#include "store/store.h"

namespace offerledger {

namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string db = kDefaultDb;
  // PostgreSQL connections per process, at most; 0: --threads + 1.
  int db_pool_size = 0;
  std::string catalog;  // empty: the built-in default
  int threads = 0;      // workers; 0: derived from the cores
  int io_threads = 0;   // SQLite's event-loop threads; 0: one per core, at least 2
  std::string public_url;
  int max_skew_seconds = 300;
  bool allow_sha1 = false;
  std::string admin_token_file;  // empty: OFFERLEDGER_ADMIN_TOKEN, else no admin API
  int decision_window_days = 7;
  // The renewal sweep (docs/webhooks.md, RENEWAL_DUE and RENEWAL_EXPIRED).
  double renewal_sweep_seconds = 60;  // 0: no sweep in this process
  int renewal_notice_days = 7;
  std::string pricing = "catalog";            // catalog | fixed | optimize
  std::string optimizer_policy = "thompson";  // thompson | ucb | egreedy | fixed
  int optimizer_refresh_ms = 1000;            // how long the arms of a context are reused
  std::string tls_cert, tls_key;              // both: HTTPS only; neither: plain HTTP
  // Rate limits (docs/api.md "Rate limits") of partners without their own; 0: unlimited.
  std::int64_t default_quote_rps = 0;
  std::int64_t default_other_rps = 0;
  int rate_limit_refresh_ms = 1000;  // how often limits and the process heartbeat are refreshed
  int read_timeout_seconds = 30;     // to receive one whole request (slow clients are cut)
  std::string master_key_file;       // empty: $OFFERLEDGER_MASTER_KEY, else none
  // Webhooks (docs/webhooks.md).
  int webhook_retries = 3;
  double webhook_backoff_seconds = 10;
  double webhook_timeout_seconds = 10;
  std::string webhook_ca_file;
  // Emails (docs/emails.md); no --smtp-url: recorded, not sent.
  std::string smtp_url;
  std::string smtp_from;
  std::string smtp_user;
  std::string smtp_password_file;  // empty: $OFFERLEDGER_SMTP_PASSWORD, else none
  double smtp_timeout_seconds = 30;
  int email_retries = 3;
  double email_backoff_seconds = 10;
};

// The SMTP settings of `o`, the password read from --smtp-password-file (its
// first line) or $OFFERLEDGER_SMTP_PASSWORD. Invalid, saying why (never the
// password), when they cannot be used.
Result<SmtpOptions> LoadSmtpOptions(const ServeOptions& o) {
  SmtpOptions smtp;
  smtp.url = o.smtp_url;
  smtp.from = o.smtp_from;
  smtp.user = o.smtp_user;
  smtp.timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(o.smtp_timeout_seconds * 1000));
  if (Status s = CheckSmtpOptions(smtp); !s.ok()) return s;
  if (!o.smtp_password_file.empty()) {
    std::ifstream in(o.smtp_password_file, std::ios::binary);
    if (!in) return Status::Invalid("cannot read --smtp-password-file " + o.smtp_password_file);
    std::getline(in, smtp.password);
    if (!smtp.password.empty() && smtp.password.back() == '\r') smtp.password.pop_back();
    if (smtp.password.empty()) {
      return Status::Invalid("--smtp-password-file " + o.smtp_password_file + " is empty");
    }
  } else if (const char* env = std::getenv("OFFERLEDGER_SMTP_PASSWORD"); env != nullptr) {
    smtp.password = env;
  }
  if (!smtp.password.empty() && smtp.user.empty()) {
    return Status::Invalid("an SMTP password is given but no --smtp-user");
  }
  return smtp;
}

// The admin API token: the file's content (surrounding whitespace removed)
// when --admin-token-file is given, else $OFFERLEDGER_ADMIN_TOKEN, else none.
// Returns false (and says why, never the token) when the file is unusable.
bool LoadAdminToken(const ServeOptions& o, std::optional<std::string>& token) {
  auto trim = [](std::string s) {
    const std::size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return std::string();
    const std::size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
  };
  if (!o.admin_token_file.empty()) {
    std::ifstream in(o.admin_token_file, std::ios::binary);
    if (!in) {
      std::cerr << "offerledger serve: cannot read --admin-token-file " << o.admin_token_file
                << "\n";
      return false;
    }
    std::ostringstream content;
    content << in.rdbuf();
    std::string t = trim(content.str());
    if (t.empty()) {
      std::cerr << "offerledger serve: --admin-token-file " << o.admin_token_file << " is empty\n";
      return false;
    }
    token = std::move(t);
    return true;
  }
  if (const char* env = std::getenv("OFFERLEDGER_ADMIN_TOKEN"); env != nullptr) {
    std::string t = trim(env);
    if (!t.empty()) token = std::move(t);
  }
  return true;
}

bool SplitHostPort(const std::string& listen, std::string& host, std::uint16_t& port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:8080
  }
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int n = std::stoi(p);
  if (n > 65535) return false;
  port = static_cast<std::uint16_t>(n);
  return true;
}

int Serve(const ServeOptions& o) {
  ServerOptions server_opts;
  if (!SplitHostPort(o.listen, server_opts.host, server_opts.port)) {
    std::cerr << "offerledger serve: --listen wants HOST:PORT (e.g. 127.0.0.1:8080), got '"
              << o.listen << "'\n";
    return 2;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // Workers run the requests that wait: a write for its group commit (more
  // of them than cores let concurrent writes share one commit), and with
  // PostgreSQL every query, on the network.
  const int workers = o.threads > 0 ? o.threads : static_cast<int>(std::max(4u, 4 * cores));
  const bool postgres = BackendOf(o.db).ok() && *BackendOf(o.db) == StoreBackend::kPostgres;
  // With SQLite the event loop runs on one thread per core: reads answer at
  // once, and an opt-out or a new quote waits for its commit without a
  // thread; the other writes and the admin API go to the workers
  // (PartnerRoutes::SetOffload). With PostgreSQL the workers are the event
  // loop, as every request waits on the network.
  server_opts.threads =
      postgres ? workers
               : (o.io_threads > 0 ? o.io_threads : static_cast<int>(std::max(2u, cores)));
  server_opts.read_timeout = std::chrono::seconds(o.read_timeout_seconds);
  // TLS files are checked here, before the database is touched.
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::cerr << "offerledger serve: --tls-cert and --tls-key go together (give both for HTTPS, "
                 "neither for plain HTTP)\n";
    return 2;
  }
  if (!o.tls_cert.empty()) {
    if (auto tls = MakeServerTlsContext(o.tls_cert, o.tls_key); !tls.ok()) {
      std::cerr << "offerledger serve: " << tls.status().message() << "\n";
      return 2;
    }
    server_opts.tls_cert_file = o.tls_cert;
    server_opts.tls_key_file = o.tls_key;
  }

  auto catalog =
      o.catalog.empty() ? Catalog::Parse(DefaultCatalogJson()) : Catalog::LoadFile(o.catalog);
  if (!catalog.ok()) {
    std::cerr << "offerledger serve: catalog "
              << (o.catalog.empty() ? std::string("(built-in)") : o.catalog)
              << " is not valid: " << catalog.status().ToString() << "\n";
    return 2;
  }
  ReportRouteOptions report_opts;
  report_opts.decision_window_days = o.decision_window_days;
  report_opts.dashboard_asset = &DashboardAsset;
  if (!LoadAdminToken(o, report_opts.admin_token)) return 2;
  auto master_key = LoadMasterKey(o.master_key_file);
  if (!master_key.ok()) {
    std::cerr << "offerledger serve: " << master_key.status().message() << "\n";
    return 2;
  }
  const SecretBox* box = master_key->has_value() ? &**master_key : nullptr;
  PriceChooserOptions chooser_opts;
  {
    auto mode = ParsePricingMode(o.pricing);
    if (!mode.ok()) {
      std::cerr << "offerledger serve: " << mode.status().message() << "\n";
      return 2;
    }
    chooser_opts.mode = *mode;
    auto policy = ParsePolicyKind(o.optimizer_policy);
    if (!policy.ok()) {
      std::cerr << "offerledger serve: --optimizer-policy: " << policy.status().message() << "\n";
      return 2;
    }
    chooser_opts.policy = *policy;
    chooser_opts.decision_window_days = o.decision_window_days;
    chooser_opts.cache_ttl = static_cast<Micros>(o.optimizer_refresh_ms) * 1000;
  }
  report_opts.catalog = *catalog;
  report_opts.optimizer = chooser_opts;

  // A worker thread holds one connection for its write, and may read with a
  // second one during it (the price optimizer's arms): one spare beyond the
  // threads means a write never waits on a pool that only writers hold.
  StoreOpenOptions store_opts;
  store_opts.pg_pool_size = o.db_pool_size > 0 ? o.db_pool_size : server_opts.threads + 1;
  if (o.io_threads > 0 && postgres) {
    std::cerr << "offerledger serve: note: --io-threads applies to SQLite only; with PostgreSQL "
                 "the --threads workers serve the connections\n";
  }
  if (o.db_pool_size > 0 && !postgres) {
    std::cerr << "offerledger serve: note: --db-pool-size applies to PostgreSQL only; the SQLite "
                 "store ignores it\n";
  } else if (postgres && o.db_pool_size > 0 && o.db_pool_size <= server_opts.threads) {
    std::cerr << "offerledger serve: note: --db-pool-size " << o.db_pool_size
              << " is not above the " << server_opts.threads
              << " worker threads: requests will queue for connections, and if every "
                 "connection is held by a write that needs a second one (the price optimizer's "
                 "reads) the server stalls; use at least "
              << server_opts.threads + 1 << " or fewer --threads\n";
  }
  auto store = OpenStore(o.db, store_opts);
  if (!store.ok()) {
    std::cerr << "offerledger serve: cannot open " << RedactDbUrl(o.db) << ": "
              << RedactDbUrl(store.status().ToString()) << "\n";
    return 1;
  }

  // API secrets at rest: the store and the master key must agree; with a
  // key, secrets still in plain text are sealed now (a one-time upgrade).
  auto census = CheckStoredSecrets(**store, box, /*seal_plain=*/true, AdminActor("serve"));
  if (!census.ok()) {
    std::cerr << "offerledger serve: " << RedactDbUrl(census.status().message()) << "\n";
    (*store)->Close();
    return census.status().code() == StatusCode::kInvalid ? 2 : 1;
  }
  if (census->newly_sealed > 0) {
    std::cerr << "offerledger serve: encrypted " << census->newly_sealed
              << " API secret(s) stored in plain text with the master key\n";
  }
  if (box == nullptr && census->plain > 0) {
    std::cerr << "offerledger serve: warning: API secrets are stored unencrypted; give a master "
                 "key (--master-key-file PATH or $"
              << kMasterKeyEnv << ") to encrypt them\n";
  }

  std::optional<SmtpOptions> smtp;
  if (!o.smtp_url.empty()) {
    auto loaded = LoadSmtpOptions(o);
    if (!loaded.ok()) {
      std::cerr << "offerledger serve: " << loaded.status().message() << "\n";
      (*store)->Close();
      return 2;
    }
    smtp = std::move(*loaded);
  } else if (!o.smtp_from.empty() || !o.smtp_user.empty() || !o.smtp_password_file.empty()) {
    std::cerr << "offerledger serve: --smtp-from, --smtp-user and --smtp-password-file need "
                 "--smtp-url\n";
    (*store)->Close();
    return 2;
  }

  HttpServer* server_ptr = nullptr;
  PartnerApiOptions api_opts;
  api_opts.send_emails = smtp.has_value();
  VerifierOptions verifier_opts;
  verifier_opts.max_skew = static_cast<Micros>(o.max_skew_seconds) * kMicrosPerSecond;
  verifier_opts.allow_sha1 = o.allow_sha1;
  verifier_opts.open_secret = MakeSecretOpener(box);

  // Bind first, so the public URL can name the real port when --listen ends in :0.
  std::unique_ptr<PartnerApi> api;
  std::unique_ptr<PartnerRoutes> routes;
  HttpServer server(server_opts, HttpServer::AsyncHandler(
                                     [&routes](HttpRequest req, HttpServer::Respond respond) {
                                       routes->HandleAsync(std::move(req), std::move(respond));
                                     }));
  server_ptr = &server;
  if (Status s = server.Listen(); !s.ok()) {
    std::cerr << "offerledger serve: " << s.message() << "\n";
    (*store)->Close();
    return s.code() == StatusCode::kInvalid ? 2 : 1;  // kInvalid: the TLS files
  }
  const std::string scheme = server.tls() ? "https://" : "http://";
  std::string host_for_url = server_opts.host.find(':') != std::string::npos
                                 ? "[" + server_opts.host + "]"
                                 : server_opts.host;
  api_opts.render.public_url = o.public_url.empty()
                                   ? scheme + host_for_url + ":" + std::to_string(server.port())
                                   : o.public_url;
  while (!api_opts.render.public_url.empty() && api_opts.render.public_url.back() == '/') {
    api_opts.render.public_url.pop_back();
  }
  api_opts.chooser = std::make_shared<PriceChooser>(**store, chooser_opts);
  api = std::make_unique<PartnerApi>(**store, *catalog, api_opts);
  const bool admin_api = report_opts.admin_token.has_value();

  // Rate limits: read once now (so the first request is already limited),
  // then refreshed in the background; requests only touch the limiter.
  RateLimiter limiter;
  PartnerLimitOptions limit_opts;
  limit_opts.defaults = {o.default_quote_rps, o.default_other_rps};
  limit_opts.refresh_interval = static_cast<Micros>(o.rate_limit_refresh_ms) * 1000;
  PartnerLimits partner_limits(**store, limiter, limit_opts);
  if (Status s = partner_limits.Refresh(); !s.ok()) {
    std::cerr << "offerledger serve: rate limits not loaded yet (retrying every "
              << o.rate_limit_refresh_ms << " ms): " << s.ToString() << std::endl;
  }
  partner_limits.Start();

  routes = std::make_unique<PartnerRoutes>(**store, *api, verifier_opts, api_opts.render.public_url,
                                           std::move(report_opts), &limiter);
  // Declared after `server`, so destroyed (joined) before it.
  std::optional<boost::asio::thread_pool> worker_pool;
  if (!postgres) {
    worker_pool.emplace(static_cast<std::size_t>(workers));
    routes->SetOffload([&worker_pool](std::function<void()> work) {
      boost::asio::post(*worker_pool, std::move(work));
    });
  }

  // Renewals fall due and expire by themselves: a sweep on its own thread
  // queues RENEWAL_DUE and RENEWAL_EXPIRED (each once; any number of
  // processes may sweep one database).
  RenewalSweepOptions sweep_opts;
  sweep_opts.notice = static_cast<Micros>(o.renewal_notice_days) * kMicrosPerDay;
  sweep_opts.interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(o.renewal_sweep_seconds * 1000));
  sweep_opts.render = api_opts.render;
  RenewalSweeper renewal_sweeper(**store, sweep_opts);
  if (o.renewal_sweep_seconds > 0) renewal_sweeper.Start();

  // Webhooks: sent from their own thread, never an HTTP worker's or the
  // SQLite writer's, through the SDK's HTTP(S) transport.
  client::Config transport_config;
  transport_config.ca_file = o.webhook_ca_file;
  std::unique_ptr<client::Transport> webhook_transport =
      client::MakeHttpTransport(transport_config);
  WebhookSenderOptions sender_opts;
  sender_opts.retries = o.webhook_retries;
  sender_opts.backoff = static_cast<Micros>(o.webhook_backoff_seconds * kMicrosPerSecond);
  sender_opts.timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(o.webhook_timeout_seconds * 1000));
  WebhookSender webhook_sender(
      **store, *webhook_transport,
      [box](const WebhookConfig& config) { return OpenWebhookSecret(box, config); }, sender_opts);
  webhook_sender.Start();

  // Emails: the outbox's pending ones, sent over SMTP from their own thread.
  std::unique_ptr<SmtpMailer> mailer;
  std::unique_ptr<EmailSender> email_sender;
  if (smtp) {
    EmailSenderOptions email_opts;
    email_opts.retries = o.email_retries;
    email_opts.backoff = static_cast<Micros>(o.email_backoff_seconds * kMicrosPerSecond);
    email_opts.timeout = smtp->timeout;
    mailer = std::make_unique<SmtpMailer>(*smtp);
    email_sender = std::make_unique<EmailSender>(**store, *mailer, email_opts);
    email_sender->Start();
  }

  std::cout << "offerledger: listening on " << scheme << host_for_url << ":" << server.port()
            << " (db " << RedactDbUrl(o.db)
            << (postgres ? ", " + std::to_string(store_opts.pg_pool_size) + " db connections" : "")
            << ", catalog " << (o.catalog.empty() ? std::string("built-in") : o.catalog) << " with "
            << (*catalog)->products().size() << " products, "
            << (postgres ? std::to_string(server_opts.threads) + " threads"
                         : std::to_string(server_opts.threads) + " event-loop threads + " +
                               std::to_string(workers) + " workers")
            << ", admin API " << (admin_api ? "on" : "off") << ", pricing " << o.pricing << " ("
            << o.optimizer_policy << "), emails "
            << (smtp ? "sent through " + smtp->url : std::string("recorded, not sent")) << ")"
            << std::endl;
  server.Run();
  // The requests still with the workers (past the drain deadline) finish
  // before the store closes under them.
  if (worker_pool) worker_pool->join();
  (void)server_ptr;
  renewal_sweeper.Stop();  // before Close: it finishes the booking in hand
  webhook_sender.Stop();   // before Close: it finishes the POST in flight
  if (email_sender) email_sender->Stop();
  partner_limits.Stop();  // before Close: it removes this process's heartbeat
  (*store)->Close();
  std::cout << "offerledger: stopped" << std::endl;
  return 0;
}

}  // namespace

void RegisterServeCommand(CLI::App& app) {
  auto opts = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the XCover-compatible partner API over HTTP");
  cmd->add_option("--listen", opts->listen, "Address to listen on, HOST:PORT")
      ->capture_default_str();
  AddDbOption(cmd, opts->db,
              "Database URL (created with its schema if missing, migrated if older)");
  cmd->add_option("--db-pool-size", opts->db_pool_size,
                  "PostgreSQL connections this process opens, at most (default: --threads + 1: "
                  "each worker thread holds one during a request, plus one spare for the reads "
                  "the price optimizer makes during a write; with fewer, requests queue for a "
                  "connection and optimized pricing can stall). Keep processes x pool size "
                  "below the server's max_connections (100 by default). Ignored, with a note, "
                  "for SQLite")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--catalog", opts->catalog,
                  "Product catalog file (JSON, see docs/catalog.md); default: the built-in one")
      ->check(CLI::ExistingFile);
  cmd->add_option("--threads", opts->threads,
                  "Worker threads, for the requests that wait: with SQLite the writes other than "
                  "opt-outs and new quotes (each waits for its group commit) and the admin API; "
                  "with PostgreSQL every request (default: 4 per core, at least 4)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--io-threads", opts->io_threads,
                  "SQLite only: event-loop threads, which read requests, check signatures, answer "
                  "reads, and queue opt-outs and new quotes for their group commit without "
                  "waiting (default: one per core, at least 2). With PostgreSQL the --threads "
                  "workers are the event loop")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--public-url", opts->public_url,
                  "Base URL partners use to reach this server, for links in responses "
                  "(default: http://LISTEN, or https://LISTEN with --tls-cert)");
  cmd->add_option("--max-skew", opts->max_skew_seconds,
                  "Largest accepted difference, in seconds, between a request's Date and the "
                  "server clock (the replay guard)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  AddMasterKeyOption(cmd, opts->master_key_file);
  cmd->add_flag("--allow-sha1", opts->allow_sha1,
                "Accept the deprecated hmac-sha1 signature algorithm");
  cmd->add_option("--admin-token-file", opts->admin_token_file,
                  "File holding the admin API bearer token (default: $OFFERLEDGER_ADMIN_TOKEN; "
                  "neither: the admin API answers 404)");
  cmd->add_option("--decision-window-days", opts->decision_window_days,
                  "Days after the offer day from which a pending offer counts as no answer in "
                  "conversion reports")
      ->capture_default_str()
      ->check(CLI::Range(0, 3650));
  cmd->add_option("--renewal-sweep-interval", opts->renewal_sweep_seconds,
                  "Seconds between two renewal sweeps, which queue RENEWAL_DUE for renewable "
                  "bookings whose period ends within --renewal-notice-days and RENEWAL_EXPIRED "
                  "for those whose period ended without a renewal (docs/webhooks.md); 0: this "
                  "process does not sweep")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--renewal-notice-days", opts->renewal_notice_days,
                  "Days before a renewable booking's period ends at which RENEWAL_DUE is sent")
      ->capture_default_str()
      ->check(CLI::Range(0, 3650));
  cmd->add_option("--pricing", opts->pricing,
                  "catalog: each product as its catalog entry's \"pricing\" says; fixed: every "
                  "product at its catalog price (the optimizer's kill switch); optimize: every "
                  "product with a multiplier grid optimized (docs/optimizer-live.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"catalog", "fixed", "optimize"}));
  cmd->add_option("--optimizer-policy", opts->optimizer_policy,
                  "How the optimizer chooses a multiplier: thompson, ucb, egreedy or fixed")
      ->capture_default_str()
      ->check(CLI::IsMember({"thompson", "ucb", "egreedy", "fixed"}));
  cmd->add_option("--optimizer-refresh-ms", opts->optimizer_refresh_ms,
                  "How long the optimizer reuses the arms it read for a context before reading "
                  "them from the database again")
      ->capture_default_str()
      ->check(CLI::Range(0, 600000));
  cmd->add_option("--default-quote-rps", opts->default_quote_rps,
                  "Create-quote and create-booking (incl. instant booking) requests per second "
                  "for each partner without its own --quote-rps (0: unlimited; XCover "
                  "documents 50)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1000000}));
  cmd->add_option("--default-other-rps", opts->default_other_rps,
                  "Every other partner request per second for each partner without its own "
                  "--other-rps (0: unlimited; XCover documents 20)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1000000}));
  cmd->add_option("--rate-limit-refresh-ms", opts->rate_limit_refresh_ms,
                  "How often partners' rate limits are re-read from the database (a "
                  "`partner set-limits` takes effect within this) and, on PostgreSQL, this "
                  "process's heartbeat renewed (limits are shared among live processes)")
      ->capture_default_str()
      ->check(CLI::Range(50, 600000));
  cmd->add_option("--read-timeout", opts->read_timeout_seconds,
                  "Seconds a client has to send one whole request (headers and body) once it "
                  "has started; a slower one (slowloris) is disconnected")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--webhook-retries", opts->webhook_retries,
                  "Times a webhook is sent again after its first attempt failed (no answer, or "
                  "not 2xx) before it is dead (docs/webhooks.md; `offerledger webhooks retry` "
                  "revives dead ones)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--webhook-backoff", opts->webhook_backoff_seconds,
                  "Seconds before a failed webhook's first retry; each further retry waits "
                  "twice as long as the one before, at most an hour")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  cmd->add_option("--webhook-timeout", opts->webhook_timeout_seconds,
                  "Seconds a partner's listener has to answer a webhook (connect, send, answer) "
                  "before the attempt counts as failed")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--webhook-ca-file", opts->webhook_ca_file,
                  "Extra trust anchors (PEM) for https:// webhook listeners, besides the "
                  "system's")
      ->check(CLI::ExistingFile);
  cmd->add_option("--smtp-url", opts->smtp_url,
                  "Send the emails partners ask for (send_email) through this SMTP server: "
                  "smtp://HOST:PORT (STARTTLS when offered) or smtps://HOST:PORT (TLS). "
                  "Without it emails are recorded in the outbox, not sent (docs/emails.md)")
      ->type_name("URL");
  cmd->add_option("--smtp-from", opts->smtp_from,
                  "The sender address of the emails (envelope and From); required with "
                  "--smtp-url")
      ->type_name("ADDRESS");
  cmd->add_option("--smtp-user", opts->smtp_user,
                  "SMTP user name, when the server wants authentication");
  cmd->add_option("--smtp-password-file", opts->smtp_password_file,
                  "File whose first line is the SMTP password (default: "
                  "$OFFERLEDGER_SMTP_PASSWORD); never shown or logged")
      ->type_name("FILE");
  cmd->add_option("--smtp-timeout", opts->smtp_timeout_seconds,
                  "Seconds one email may take (connect, SMTP dialogue, data) before the "
                  "attempt counts as failed")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--email-retries", opts->email_retries,
                  "Times an email is sent again after its first attempt failed before it is "
                  "dead (`offerledger emails retry` revives dead ones)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--email-backoff", opts->email_backoff_seconds,
                  "Seconds before a failed email's first retry; each further retry waits twice "
                  "as long, at most an hour")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  cmd->add_option("--tls-cert", opts->tls_cert,
                  "Serve HTTPS only (TLS 1.2+) with this PEM certificate chain, leaf first; "
                  "needs --tls-key")
      ->type_name("FILE");
  cmd->add_option("--tls-key", opts->tls_key,
                  "The PEM private key (unencrypted) of --tls-cert; needs --tls-cert")
      ->type_name("FILE");
  cmd->callback([opts] {
    const int rc = Serve(*opts);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace offerledger
