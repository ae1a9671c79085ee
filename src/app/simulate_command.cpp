// `offerledger simulate`: runs the pricing policies against a synthetic
// market (markets/*.json, docs/optimizer.md) and prints, per policy, revenue,
// share of the oracle's revenue, take-up and cumulative regret; --plot draws
// the regret curves with PLplot (pngcairo).
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "optimizer/market.h"
#include "optimizer/simulator.h"

#ifdef OFFERLEDGER_HAVE_PLPLOT
#include <plplot.h>
#endif

namespace offerledger {

namespace {

struct SimulateOptions {
  std::string market;
  std::int64_t offers = 100'000;
  std::uint64_t seed = 1;
  std::vector<std::string> policies;
  std::int64_t delay = 0;
  bool json = false;
  std::string plot;
};

[[noreturn]] void Fail(const std::string& message, int code) {
  std::cerr << "offerledger simulate: " << message << "\n";
  throw CLI::RuntimeError(code);
}

// "0.80", "1.00": the grid as the catalog writes it.
std::string Mult(Rate r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", MultiplierValue(r));
  return buf;
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void PrintTable(const Market& market, const SimulationReport& r) {
  std::cout << "market " << (market.name.empty() ? "(unnamed)" : market.name) << ": "
            << market.contexts.size() << " contexts, " << market.grid.size() << " multipliers; "
            << r.offers << " offers, seed " << r.seed;
  if (r.delay > 0) std::cout << ", outcomes delayed by " << r.delay << " offers";
  std::cout << "\n\noracle (best fixed multiplier per context):";
  for (std::size_t c = 0; c < market.contexts.size(); ++c) {
    std::cout << " " << market.contexts[c].name << "=" << Mult(market.grid[r.oracle_arm[c]]);
  }
  std::cout << "\n  expected revenue " << Fmt("%.2f", r.oracle_expected_revenue) << " "
            << market.currency << ", realised " << Fmt("%.2f", r.oracle_revenue) << "\n\n";
  std::printf("%-10s %14s %16s %9s %14s\n", "policy", "revenue", "share of oracle", "take-up",
              "regret");
  for (std::size_t i = 0; i < r.results.size(); ++i) {
    const PolicyResult& p = r.results[i];
    std::printf("%-10s %14.2f %15.2f%% %8.2f%% %14.2f%s\n",
                std::string(PolicyKindName(p.kind)).c_str(), p.revenue, 100 * p.share_of_oracle,
                100 * p.take_up, p.regret, i == r.best ? "  <- best" : "");
  }
  const PolicyResult& best = r.results[r.best];
  std::cout << "\nshare of oracle = expected revenue of the choices / the oracle's; regret = "
               "oracle expected - expected revenue, cumulative.\n\n"
            << PolicyKindName(best.kind) << ": offers per multiplier (the oracle's marked *)\n";
  std::printf("%-22s", "context");
  for (Rate m : market.grid) std::printf(" %8s", Mult(m).c_str());
  std::printf("\n");
  for (std::size_t c = 0; c < market.contexts.size(); ++c) {
    std::printf("%-22s", market.contexts[c].name.c_str());
    for (std::size_t a = 0; a < market.grid.size(); ++a) {
      std::printf(" %7lld%s", static_cast<long long>(best.chosen[c][a]),
                  a == r.oracle_arm[c] ? "*" : " ");
    }
    std::printf("\n");
  }
}

void PrintJson(const Market& market, const SimulationReport& r) {
  namespace json = boost::json;
  json::object o;
  o["market"] = market.name;
  o["offers"] = r.offers;
  o["seed"] = r.seed;
  o["delay"] = r.delay;
  o["currency"] = market.currency;
  json::object oracle;
  oracle["expected_revenue"] = r.oracle_expected_revenue;
  oracle["revenue"] = r.oracle_revenue;
  json::object arms;
  for (std::size_t c = 0; c < market.contexts.size(); ++c) {
    arms[market.contexts[c].name] = Mult(market.grid[r.oracle_arm[c]]);
  }
  oracle["multipliers"] = std::move(arms);
  o["oracle"] = std::move(oracle);
  json::array policies;
  for (const PolicyResult& p : r.results) {
    json::object j;
    j["policy"] = PolicyKindName(p.kind);
    j["revenue"] = p.revenue;
    j["expected_revenue"] = p.expected_revenue;
    j["share_of_oracle"] = p.share_of_oracle;
    j["bookings"] = p.bookings;
    j["take_up"] = p.take_up;
    j["regret"] = p.regret;
    json::object chosen;
    for (std::size_t c = 0; c < market.contexts.size(); ++c) {
      json::object per;
      for (std::size_t a = 0; a < market.grid.size(); ++a) {
        per[Mult(market.grid[a])] = p.chosen[c][a];
      }
      chosen[market.contexts[c].name] = std::move(per);
    }
    j["offers_per_multiplier"] = std::move(chosen);
    policies.push_back(std::move(j));
  }
  o["policies"] = std::move(policies);
  o["best"] = PolicyKindName(r.results[r.best].kind);
  std::cout << json::serialize(o) << "\n";
}

#ifdef OFFERLEDGER_HAVE_PLPLOT
void Plot(const Market& market, const SimulationReport& r, const std::string& path) {
  double y_max = 1;
  for (const PolicyResult& p : r.results) {
    for (const auto& pt : p.regret_curve) y_max = std::max(y_max, pt.second);
  }
  plsdev("pngcairo");
  plsfnam(path.c_str());
  plspage(0, 0, 1000, 640, 0, 0);
  plscolbg(255, 255, 255);
  plinit();
  // Colour map 0: 0 background, 1 axes, 2.. one per policy.
  plscol0(1, 40, 40, 40);
  const int colours[][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}};
  for (int i = 0; i < 4; ++i) plscol0(2 + i, colours[i][0], colours[i][1], colours[i][2]);
  plcol0(1);
  plenv(0, static_cast<double>(r.offers), 0, y_max * 1.05, 0, 0);
  std::ostringstream title;
  title << "Cumulative regret, market " << market.name << ", seed " << r.seed;
  if (r.delay > 0) title << ", delay " << r.delay;
  pllab("offers", ("regret (" + market.currency + ")").c_str(), title.str().c_str());
  std::vector<std::string> names;
  std::vector<const char*> texts;
  std::vector<PLINT> opts, line_colors, line_styles;
  std::vector<PLFLT> line_widths;
  for (std::size_t i = 0; i < r.results.size(); ++i) {
    const PolicyResult& p = r.results[i];
    std::vector<PLFLT> x{0}, y{0};
    for (const auto& pt : p.regret_curve) {
      x.push_back(static_cast<double>(pt.first));
      y.push_back(pt.second);
    }
    const int colour = 2 + static_cast<int>(static_cast<int>(p.kind) % 4);
    plcol0(colour);
    plwidth(2.0);
    plline(static_cast<PLINT>(x.size()), x.data(), y.data());
    names.push_back(std::string(PolicyKindName(p.kind)) + " (" +
                    Fmt("%.1f", 100 * p.share_of_oracle) + "% of oracle)");
    opts.push_back(PL_LEGEND_LINE);
    line_colors.push_back(colour);
    line_styles.push_back(1);
    line_widths.push_back(2.0);
  }
  for (const std::string& n : names) texts.push_back(n.c_str());
  const PLINT n = static_cast<PLINT>(names.size());
  std::vector<PLINT> zeros(n, 0), text_colors(n, 1);
  std::vector<PLFLT> zerof(n, 0.0);
  std::vector<const char*> empty(n, "");
  PLFLT legend_w = 0, legend_h = 0;
  plcol0(1);
  pllegend(&legend_w, &legend_h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
           PL_POSITION_TOP | PL_POSITION_LEFT | PL_POSITION_INSIDE, 0.02, 0.02, 0.1, 0, 1, 1, 0, 0,
           n, opts.data(), 1.0, 1.0, 2.0, 1.0, text_colors.data(), texts.data(), zeros.data(),
           zeros.data(), zerof.data(), zerof.data(), line_colors.data(), line_styles.data(),
           line_widths.data(), zeros.data(), zerof.data(), zeros.data(), empty.data());
  plend();
}
#endif

void Run(const SimulateOptions& o) {
  auto market = LoadMarketFile(o.market);
  if (!market.ok()) {
    std::string message = o.market + ": " + market.status().message();
    for (const FieldError& e : market.status().fields()) {
      message += "\n  " + (e.path.empty() ? std::string("(root)") : e.path) + ": " + e.message;
    }
    Fail(message, 2);
  }
#ifndef OFFERLEDGER_HAVE_PLPLOT
  if (!o.plot.empty()) {
    Fail(
        "--plot is not available: this offerledger was built without PLplot "
        "(apt-get install libplplot-dev plplot-driver-cairo, then reconfigure)",
        2);
  }
#endif
  SimulationOptions so;
  so.offers = o.offers;
  so.seed = o.seed;
  so.delay = o.delay;
  if (!o.policies.empty()) {
    so.policies.clear();
    for (const std::string& name : o.policies) {
      auto k = ParsePolicyKind(name);
      if (!k.ok()) Fail("--policy: " + k.status().message(), 2);
      so.policies.push_back(*k);
    }
  }
  auto report = Simulate(*market, so);
  if (!report.ok()) Fail(report.status().message(), 2);
  if (o.json) {
    PrintJson(*market, *report);
  } else {
    PrintTable(*market, *report);
  }
#ifdef OFFERLEDGER_HAVE_PLPLOT
  if (!o.plot.empty()) {
    Plot(*market, *report, o.plot);
    if (!o.json) std::cout << "\nregret curves: " << o.plot << "\n";
  }
#endif
}

}  // namespace

void RegisterSimulateCommand(CLI::App& app) {
  auto opts = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Runs the pricing policies against a synthetic market and compares their revenue with the "
      "oracle's (the best fixed multiplier per context). docs/optimizer.md.");
  cmd->add_option("--market", opts->market, "Market file (JSON, markets/*.json)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--offers", opts->offers, "Number of offers")->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Random seed (runs are deterministic for a seed)")
      ->capture_default_str();
  cmd->add_option("--policy", opts->policies,
                  "Policies to compare: thompson, ucb, egreedy, fixed (repeat or comma-separate; "
                  "default all)")
      ->delimiter(',');
  cmd->add_option("--delay", opts->delay,
                  "Outcomes arrive this many offers late (0: at once); meanwhile pending")
      ->capture_default_str();
  cmd->add_flag("--json", opts->json, "JSON output");
#ifdef OFFERLEDGER_HAVE_PLPLOT
  cmd->add_option("--plot", opts->plot, "Draw the cumulative regret curves to this PNG file");
#else
  cmd->add_option("--plot", opts->plot,
                  "Not available: built without PLplot (libplplot-dev, plplot-driver-cairo)");
#endif
  cmd->callback([opts] { Run(*opts); });
}

}  // namespace offerledger
