#include "app/command_errors.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace offerledger {

void FailCommand(const std::string& what, const Status& s) {
  std::cerr << "offerledger " << what << ": " << s.message() << "\n";
  throw CLI::RuntimeError(s.code() == StatusCode::kInvalid ? 2 : 1);
}

std::unique_ptr<Store> OpenStoreOrFail(const std::string& what, const std::string& db) {
  auto store = OpenStore(db);
  if (!store.ok()) FailCommand(what, store.status());
  return std::move(*store);
}

}  // namespace offerledger
