// How the store subcommands (`emails`, `webhooks`, `partner set-webhook`, ...)
// open the store and end on an error: the message on stderr as "offerledger
// WHAT: ...", exit code 2 for an Invalid status (the command was given wrong
// arguments), 1 for anything else.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/store.h"

namespace offerledger {

[[noreturn]] void FailCommand(const std::string& what, const Status& s);

// The store `db` names, or FailCommand.
std::unique_ptr<Store> OpenStoreOrFail(const std::string& what, const std::string& db);

}  // namespace offerledger
