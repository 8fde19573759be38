#include "sinks/factory/open_sink.h"

#include "common/error.h"
#include "common/uri.h"
#include "sinks/cassandra/cassandra_query.h"
#include "sinks/cassandra/cassandra_sink.h"
#include "sinks/sqlite/sqlite_sink.h"

namespace sluice::sinks {
namespace {

// The database file of a sqlite: sink URI.
std::string sqlite_path(const std::string& uri) { return uri.starts_with("sqlite://") ? uri.substr(9) : uri.substr(7); }

}  // namespace

std::unique_ptr<Sink> open_sink(const config::Config& cfg, const table::Schema& schema, metrics::Registry* metrics) {
  const std::string& uri = cfg.str("sink");
  if (uri.starts_with("sqlite:")) {
    std::string path = uri.substr(7);
    if (path.starts_with("//")) path = path.substr(2);
    if (path.empty()) throw UsageError(cfg.origin("sink") + ": sink \"" + uri + "\" names no file (e.g. sqlite:./data/user_data.db)");
    return std::make_unique<SqliteSink>(path, schema, metrics);
  }
  if (uri.starts_with("cassandra://")) return open_cassandra_sink(cfg, schema, metrics);
  // A mistyped cassandra:// URI may carry a password: never echo it.
  throw UsageError(cfg.origin("sink") + ": sink \"" + redact_uri(uri) +
                   "\": unknown scheme; expected sqlite:FILE or cassandra://host/keyspace");
}

QueryResult query_sink(const config::Config& cfg, const std::string& statement, bool json) {
  const auto& uri = cfg.str("sink");
  if (!uri.starts_with("sqlite:") && !uri.starts_with("cassandra://"))
    throw UsageError("sluice query runs on sqlite: and cassandra:// sinks; the sink is \"" + redact_uri(uri) + "\"");
  return uri.starts_with("cassandra://") ? cassandra_query(cfg, statement, json)
                                         : sqlite_query(sqlite_path(uri), statement);
}

}  // namespace sluice::sinks
