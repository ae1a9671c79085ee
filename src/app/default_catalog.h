// The catalog shipped in the repository (catalog/default.json), compiled in.
#pragma once

#include <string_view>

namespace offerledger {
std::string_view DefaultCatalogJson();
}  // namespace offerledger
