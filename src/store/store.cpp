#include "store/store.h"

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace offerledger {

Result<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.rfind(kSqlite, 0) == 0) {
    std::string path = url.substr(kSqlite.size());
    if (path.rfind("//", 0) == 0) path.erase(0, 2);  // sqlite://PATH
    if (path.empty()) return Status::Invalid("sqlite URL needs a path: sqlite:PATH");
    return SqliteStore::Open(path);
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    return PostgresStore::Open(url);
  }
  return Status::Invalid("unsupported database URL '" + url +
                         "': use sqlite:PATH (for example sqlite:./offerledger.db) or "
                         "postgresql://user:pass@host:port/dbname");
}

}  // namespace offerledger
