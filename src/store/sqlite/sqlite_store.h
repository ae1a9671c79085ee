#pragma once
#include <memory>
#include <string>
#include "store/store.h"
namespace offerledger {
class SqliteStore : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
};
}  // namespace offerledger
