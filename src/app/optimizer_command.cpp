// `offerledger optimizer show`: per context, the price optimizer's arms,
// their posteriors, the current best price and the expected take-up, read
// from the database the server writes (docs/optimizer-live.md).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/default_catalog.h"
#include "common/time.h"
#include "domain/catalog.h"
#include "service/price_chooser.h"
#include "store/store.h"

namespace offerledger {

namespace {

struct ShowOptions {
  std::string db = kDefaultDb;
  std::string catalog;
  std::string pricing = "catalog";
  std::string policy = "thompson";
  int decision_window_days = 7;
  bool json = false;
};

[[noreturn]] void Fail(const std::string& message, int code) {
  std::cerr << "offerledger optimizer show: " << message << "\n";
  throw CLI::RuntimeError(code);
}

void RunShow(const ShowOptions& o) {
  PriceChooserOptions opts;
  auto mode = ParsePricingMode(o.pricing);
  if (!mode.ok()) Fail(mode.status().message(), 2);
  opts.mode = *mode;
  auto policy = ParsePolicyKind(o.policy);
  if (!policy.ok()) Fail(policy.status().message(), 2);
  opts.policy = *policy;
  if (o.decision_window_days < 0) Fail("--decision-window-days must be 0 or more", 2);
  opts.decision_window_days = o.decision_window_days;
  auto catalog =
      o.catalog.empty() ? Catalog::Parse(DefaultCatalogJson()) : Catalog::LoadFile(o.catalog);
  if (!catalog.ok()) Fail("catalog: " + catalog.status().ToString(), 2);
  if (o.db.rfind("sqlite:", 0) == 0 && !std::filesystem::exists(o.db.substr(7))) {
    Fail("no database at " + o.db.substr(7) + " (--db sqlite:PATH)", 1);
  }
  auto store = OpenStore(o.db);
  if (!store.ok()) Fail("cannot open " + RedactDbUrl(o.db) + ": " + store.status().message(), 1);
  auto view = BuildOptimizerView(**store, **catalog, opts, NowMicros());
  (*store)->Close();
  if (!view.ok()) Fail(view.status().message(), 1);
  std::cout << (o.json ? OptimizerViewJson(*view) + "\n" : OptimizerViewTable(*view));
  std::cout.flush();
}

}  // namespace

void RegisterOptimizerCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("optimizer", "The live price optimizer");
  cmd->require_subcommand(1);
  auto o = std::make_shared<ShowOptions>();
  CLI::App* show = cmd->add_subcommand(
      "show",
      "Per context (product x the catalog's optimizer_context dimensions): each multiplier of "
      "the grid with its bookings, failures (opt-outs, not selected, no answer after the "
      "decision window), pending offers, Beta(1+booked, 1+failed) posterior, estimated take-up "
      "and expected revenue (multiplier x take-up); the best arm is marked *");
  AddDbOption(show, o->db);
  show->add_option("--catalog", o->catalog, "Catalog file (default: the built-in catalog)");
  show->add_option("--pricing", o->pricing,
                   "Which products count as optimized: catalog, fixed or optimize (as the "
                   "server's --pricing)")
      ->capture_default_str();
  show->add_option("--optimizer-policy", o->policy,
                   "Policy whose take-up estimate is shown: thompson, ucb, egreedy, fixed")
      ->capture_default_str();
  show->add_option("--decision-window-days", o->decision_window_days,
                   "Pending this many days after the offer day counts as no answer (failure)")
      ->capture_default_str();
  show->add_flag("--json", o->json, "JSON (the same document as GET /admin/v1/optimizer)");
  show->callback([o] { RunShow(*o); });
}

}  // namespace offerledger
