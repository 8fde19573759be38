#include "support/tables.h"

#include <sqlite3.h>

namespace sluice::testing {

std::vector<std::string> table_column(const fs::path& db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
      out.emplace_back(p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, 0))) : std::string());
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace sluice::testing
