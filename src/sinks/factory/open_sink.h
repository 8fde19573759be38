#pragma once
// The sinks' factory: the one place that turns the config's `sink` URI into a backend
// (sqlite:FILE -> sinks/sqlite/, cassandra://... -> sinks/cassandra/). Only the
// pipeline's assembly and the CLI include it; stages take a sinks::Sink&.
#include <memory>
#include <string>

#include "config/config.h"
#include "metrics/registry.h"
#include "sinks/sink.h"
#include "sinks/table_reader.h"
#include "table/schema.h"

namespace sluice::sinks {

// Opens the sink named by the config's `sink` URI for the config's schema. Throws
// UsageError for an unknown scheme or a malformed URI.
std::unique_ptr<Sink> open_sink(const config::Config& cfg, const table::Schema& schema,
                                metrics::Registry* metrics = nullptr);

// Runs one statement on the table of the sink the config's `sink` URI names
// (`sluice query`): SQL on a sqlite: sink, CQL on a cassandra:// sink (`json` picks
// the JSON forms of Cassandra's values). Throws UsageError for any other sink, and
// whatever sqlite_query / cassandra_query throw.
QueryResult query_sink(const config::Config& cfg, const std::string& statement, bool json);

}  // namespace sluice::sinks
