// The admin dashboard's files (web/dashboard.html, dashboard.js, dashboard.css
// and Chart.js from npm), compiled in by web/cmake/embed_assets.cmake.
#pragma once

#include <optional>
#include <string_view>

#include "http/partner_routes.h"

namespace offerledger {

// "" (the page), "app.js", "dashboard.css" or "chart.js"; nullopt for any
// other name, and for every name when built with -DOFFERLEDGER_DASHBOARD=OFF.
std::optional<StaticAsset> DashboardAsset(std::string_view name);

}  // namespace offerledger
