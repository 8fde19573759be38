#pragma once
// Reading a SQLite table back without going through sluice. Part of sluice_test_readers,
// which links SQLite.
#include <string>
#include <vector>

#include "support/paths.h"

namespace sluice::testing {

// The first column of every row `sql` selects from the SQLite file `db`, as bytes (a UUID
// blob is its 16 bytes; NULL is ""). Opens the file read-only, so a running sink keeps
// writing; empty if the file cannot be opened or the query fails (e.g. no table yet).
std::vector<std::string> table_column(const fs::path& db, const std::string& sql);

}  // namespace sluice::testing
