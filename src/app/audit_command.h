// `offerledger audit list`: the audit log of admin actions (docs/storage.md
// "Audit log"), and the actor name the admin commands record in it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

namespace offerledger {

void RegisterAuditCommand(CLI::App& app);

// Who runs this process, for the audit log: "<OS user> via <via>" (the user
// of the effective uid, else $USER, else "uid N").
std::string AdminActor(std::string_view via);

}  // namespace offerledger
