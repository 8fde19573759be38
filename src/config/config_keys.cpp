#include "config/config_keys.h"

#include <array>

namespace sluice::config {
namespace {

constexpr std::string_view kFsync[] = {"interval", "always", "never"};
constexpr std::string_view kOffsets[] = {"earliest", "latest"};
constexpr std::string_view kOnError[] = {"dlq", "fail", "skip"};
constexpr std::string_view kConsistency[] = {"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM",
                                             "EACH_QUORUM", "LOCAL_ONE"};
constexpr std::string_view kCompression[] = {"none", "lz4"};

using T = KeyType;

// Keep grouped by section, in the order the shipped config file lists them.
const KeySpec kKeys[] = {
    {"pipeline", T::string, "user_automation", "Name of the pipeline (the seed's DAG id)."},
    {"source", T::string, "builtin",
     "Where users come from: `builtin` (offline generator of the randomuser.me API) or an "
     "http(s) URL of that API, e.g. https://randomuser.me/api/."},
    {"log", T::string, "file:./data/log",
     "The log (Kafka's role): file:DIR for the embedded log, kafka://host:port[,host:port] for Kafka."},
    {"sink", T::string, "sqlite:./data/user_data.db",
     "The table store (Cassandra's role): sqlite:FILE, or cassandra://[user@]host[:port][,host[:port]...]/keyspace."},
    {"topic", T::string, "user_created", "Topic the produce task writes and the stream reads."},
    {"dead_letter_topic", T::string, "",
     "Topic for records that cannot be mapped or written; empty: <topic>.dlq."},

    {"topics.partitions", T::integer, "3", "Partitions of topics that sluice creates.", {}, 1, 10000},
    {"topics.replication_factor", T::integer, "1", "Replication factor of topics that sluice creates (Kafka).", {}, 1, 100},

    {"embedded_log.segment_bytes", T::bytes, "64MiB", "Roll a partition's active segment past this size.", {}, 4096, 1ll << 40},
    {"embedded_log.index_interval_bytes", T::bytes, "4KiB", "Log bytes between two entries of the sparse offset index.", {}, 64, 1 << 30},
    {"embedded_log.retention_bytes", T::bytes, "-1", "Per partition: delete the oldest segments past this size (-1: unlimited).", {}, -1, 1e18},
    {"embedded_log.retention", T::duration, "7d", "Delete segments whose newest record is older than this (0: forever)."},
    {"embedded_log.fsync", T::choice, "interval", "When written data is fsynced: interval, always (before each ack) or never.", kFsync},
    {"embedded_log.fsync_interval", T::duration, "100ms", "Period of the fsync under fsync: interval."},
    {"embedded_log.batch_bytes", T::bytes, "256KiB", "The producer writes a partition's batch once it holds this many bytes.", {}, 1024, 64 << 20},
    {"embedded_log.linger", T::duration, "5ms", "...or once its oldest record waited this long."},

    {"http.batch_size", T::integer, "500", "Users asked for per API call (?results=N; the API allows up to 5000).", {}, 1, 5000},
    {"http.connect_timeout", T::duration, "5s", "Give up connecting to the API after this long."},
    {"http.read_timeout", T::duration, "10s", "Give up a call that received no bytes for this long."},
    {"http.request_timeout", T::duration, "60s", "Give up a call that took this long in all."},
    {"http.retries", T::integer, "-1", "Retries of a failed call before the task fails (-1: until the task ends).", {}, -1, 1e9},
    {"http.backoff", T::duration, "500ms", "First retry delay; doubles per failure, with jitter."},
    {"http.max_backoff", T::duration, "30s", "Upper bound of the retry delay."},
    {"http.rate_limit", T::number, "0", "Most API calls per second (0: no limit).", {}, 0, 1e6},
    {"http.gzip", T::boolean, "true", "Ask for gzip-compressed responses."},

    {"builtin.seed", T::integer, "0", "Seed of the builtin generator (0: a random seed, printed at start).", {}, 0, 9.2e18},
    {"builtin.batch_size", T::integer, "500", "Users per generated response.", {}, 1, 5000},
    {"builtin.nationalities", T::string, "", "Comma-separated nationalities to generate (empty: all), e.g. US,IR,UA."},

    {"produce.for", T::duration, "60s", "How long the produce task runs (the seed's DAG streams for 60 s)."},
    {"produce.records", T::integer, "0", "Stop after this many records (0: no limit).", {}, 0, 9.2e18},
    {"produce.rate", T::number, "0", "Most records per second (0: as fast as possible).", {}, 0, 1e9},
    {"produce.key", T::string, "id", "Mapped field used as the message key (empty: no key)."},

    {"stream.group", T::string, "user_data", "Consumer group of the streaming query; its committed offsets are the checkpoint."},
    {"stream.trigger", T::string, "10s", "When micro-batches run: an interval (10s), once, available-now or continuous."},
    {"stream.starting_offsets", T::choice, "earliest", "Where a group with no committed offsets starts.", kOffsets},
    {"stream.max_records_per_batch", T::integer, "30000", "Most records in one micro-batch, and so rows in one sink transaction (bounds memory: about 1.6 KB a record).", {}, 1, 1e8},
    {"stream.on_error", T::choice, "dlq", "What a bad record does: dlq (dead-letter topic), fail (stop the query) or skip.", kOnError},
    {"stream.max_value_bytes", T::bytes, "1MiB", "Records larger than this are bad records.", {}, 1, 1ll << 31},
    {"stream.fail_on_data_loss", T::boolean, "true", "Stop when offsets to read were deleted (Spark's failOnDataLoss)."},

    {"cassandra.password_env", T::string, "",
     "Environment variable holding the password of the cassandra:// sink's user (keeps it out of URIs and argv); "
     "not a SLUICE_* name, those are config overrides."},
    {"cassandra.password_file", T::string, "", "File whose first line is the password of the cassandra:// sink's user."},
    {"cassandra.consistency", T::choice, "LOCAL_QUORUM", "Consistency level of the sink's writes and of sluice query.", kConsistency},
    {"cassandra.replication", T::string, "{'class': 'SimpleStrategy', 'replication_factor': 1}",
     "Replication map of the keyspace when sluice creates it (CQL), e.g. {'class': 'NetworkTopologyStrategy', 'dc1': 3}."},
    {"cassandra.connections_per_host", T::integer, "1", "Connections to each Cassandra host (each pipelines many requests).", {}, 1, 64},
    {"cassandra.max_in_flight", T::integer, "256", "Most INSERTs the sink has on the wire at once.", {}, 1, 32768},
    {"cassandra.compression", T::choice, "none", "Compression of CQL traffic: none or lz4.", kCompression},
    {"cassandra.tls", T::boolean, "false", "Connect with TLS; the node's certificate must name the host and chain to a trusted CA."},
    {"cassandra.tls_ca_file", T::string, "", "PEM file of the CAs trusted for cassandra.tls (empty: the system's store)."},
    {"cassandra.connect_timeout", T::duration, "5s", "Give up connecting (TCP, TLS, handshake) to a Cassandra host after this long."},
    {"cassandra.request_timeout", T::duration, "12s", "Give up waiting for Cassandra's answer to a request after this long."},

    {"schema.table", T::string, "users", "Table the stream writes (in the sink's keyspace or database)."},
};

const OpenSection kOpen[] = {
    {"kafka", "librdkafka properties, passed unchanged (e.g. kafka.security.protocol)."},
    {"mapping.fields", "Output fields of the produce task: name -> template of {json.path} placeholders and text; "
                       "{uuid4()} makes a fresh UUID. Order is the JSON order."},
    {"schema.columns", "Table columns: name -> type (text, int, bigint, double, boolean, uuid, timestamp), "
                       "optionally followed by `primary key` or `required`."},
};

}  // namespace

std::span<const KeySpec> known_keys() { return kKeys; }
std::span<const OpenSection> open_sections() { return kOpen; }

const KeySpec* find_key(std::string_view path) {
  for (const auto& k : kKeys)
    if (k.path == path) return &k;
  return nullptr;
}

const OpenSection* find_open_section(std::string_view path) {
  for (const auto& s : kOpen)
    if (path.size() > s.path.size() && path.starts_with(s.path) && path[s.path.size()] == '.') return &s;
  return nullptr;
}

}  // namespace sluice::config
