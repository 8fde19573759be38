#include "config/config_keys.h"

#include <array>
#include <cctype>

namespace sluice::config {
namespace {

constexpr std::string_view kFsync[] = {"interval", "always", "never"};
constexpr std::string_view kOffsets[] = {"earliest", "latest"};
constexpr std::string_view kOnError[] = {"dlq", "fail", "skip"};
constexpr std::string_view kConsistency[] = {"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM",
                                             "EACH_QUORUM", "LOCAL_ONE"};
constexpr std::string_view kCompression[] = {"none", "lz4"};
constexpr std::string_view kTaskKind[] = {"produce", "stream", "command"};
constexpr std::string_view kOverlap[] = {"allow", "skip", "queue"};
constexpr std::string_view kDstGap[] = {"run_at_end", "skip"};
constexpr std::string_view kDstRepeat[] = {"once", "twice"};

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

    {"web.listen", T::string, "127.0.0.1:8080",
     "Address of the dashboard, the API and /metrics (sluice up, sluice ui): HOST:PORT. An address other than "
     "loopback needs a login (web.user and a password)."},
    {"web.user", T::string, "", "Login user of the dashboard (empty: no login; then only a loopback address is allowed)."},
    {"web.password", T::string, "",
     "Password of web.user (best from the environment, SLUICE_WEB__PASSWORD, or from web.password_file); never logged."},
    {"web.password_file", T::string, "", "File whose first line is the password of web.user."},
    {"web.metrics_token", T::string, "",
     "With a login: a bearer token that lets a scraper read /metrics (Authorization: Bearer TOKEN); empty: /metrics needs the login too."},
    {"web.history", T::string, "./data/history.db",
     "SQLite file of the dashboard's history (micro-batches, lag samples, redrives), kept across restarts (empty: none)."},
    {"web.history_batches", T::integer, "100000", "Micro-batches the history keeps per query.", {}, 100, 1e9},
    {"web.history_lag", T::duration, "24h", "How long the history keeps lag samples."},
    {"web.sample_interval", T::duration, "1s", "How often the web server samples the topic's offsets and the groups' lag."},

    {"scheduler.metadata", T::string, "./data/meta.db",
     "SQLite file of the scheduler's metadata (DAG runs, task instances; the seed's Postgres). One scheduler "
     "process writes it, under a lock file beside it; any number read it."},
    {"scheduler.logs", T::string, "./data/logs", "Directory of the task logs: <dag>/<run>/<task>/<try>.log."},
    {"scheduler.task_log_bytes", T::bytes, "10MiB",
     "Most bytes kept of one task try's log (its head and its latest output).", {}, 4096, 1ll << 40},
    {"scheduler.kill_grace", T::duration, "10s", "After a task's timeout: SIGTERM, then SIGKILL this much later."},
    {"scheduler.parallelism", T::integer, "32", "Most task processes running at once.", {}, 1, 10000},

    {"dags.<dag>.description", T::string, "", "What the DAG does (shown by `sluice dags list`)."},
    {"dags.<dag>.schedule", T::string, "none",
     "When runs are due: cron (`m h dom mon dow`, or 6 fields with seconds first; ranges, steps, lists, names), "
     "@once, @hourly, @daily, @weekly, @monthly, @yearly, @every <duration>, or none (manual triggers only)."},
    {"dags.<dag>.timezone", T::string, "UTC", "IANA time zone of the schedule and of the dates, e.g. Europe/Berlin."},
    {"dags.<dag>.start_date", T::string, "",
     "First data interval's start (2023-09-03 or 2023-09-03T06:00, wall time in the DAG's zone); required "
     "unless the schedule is none."},
    {"dags.<dag>.end_date", T::string, "", "No run's data interval starts after this (empty: no end)."},
    {"dags.<dag>.catchup", T::boolean, "false",
     "On: a run for every interval missed since the start date (or while sluice was down). Off: only the latest."},
    {"dags.<dag>.max_active_runs", T::integer, "16", "Most runs of the DAG queued or running at once.", {}, 1, 10000},
    {"dags.<dag>.paused", T::boolean, "false",
     "Paused when the scheduler first sees the DAG; afterwards `sluice dags pause|unpause` decides."},
    {"dags.<dag>.overlap", T::choice, "allow",
     "A run due while another run of the DAG is active: allow (runs alongside, up to max_active_runs), "
     "queue (waits for it) or skip (recorded as skipped, not run).", kOverlap},
    {"dags.<dag>.dst_gap", T::choice, "run_at_end",
     "A scheduled wall time that does not exist (spring forward): run_at_end (of the gap) or skip.", kDstGap},
    {"dags.<dag>.dst_repeat", T::choice, "once",
     "A scheduled wall time that occurs twice (fall back): once (the first) or twice.", kDstRepeat},
    {"dags.<dag>.tasks.<task>.kind", T::choice, "produce",
     "produce (the produce task, as `sluice produce`), stream (the query with trigger available-now) or "
     "command (an argv run without a shell, Airflow's BashOperator).", kTaskKind},
    {"dags.<dag>.tasks.<task>.after", T::list, "", "Tasks of the same DAG that must succeed first, e.g. [stream_data]."},
    {"dags.<dag>.tasks.<task>.command", T::list, "",
     "kind command: the argv, e.g. [sh, -c, \"echo {logical_date}\"]; {data_interval_start}, {data_interval_end}, "
     "{logical_date}, {run_id}, {try_number}, {dag_id}, {task_id} are replaced."},
    {"dags.<dag>.tasks.<task>.args", T::list, "",
     "kind produce or stream: more flags of the command, templated as command is, e.g. [--set, builtin.seed={try_number}]."},
    {"dags.<dag>.tasks.<task>.for", T::duration, "", "kind produce: how long (empty: the config's produce.for)."},
    {"dags.<dag>.tasks.<task>.records", T::integer, "", "kind produce: stop after this many records (empty: produce.records).", {}, 0, 9.2e18},
    {"dags.<dag>.tasks.<task>.rate", T::number, "", "kind produce: records per second (empty: produce.rate).", {}, 0, 1e9},
    {"dags.<dag>.tasks.<task>.retries", T::integer, "0", "Tries after the first failed one.", {}, 0, 1000},
    {"dags.<dag>.tasks.<task>.retry_delay", T::duration, "5m",
     "Wait before the first retry; doubles per retry, with jitter (full jitter), up to max_retry_delay."},
    {"dags.<dag>.tasks.<task>.max_retry_delay", T::duration, "1h", "Upper bound of the retry delay."},
    {"dags.<dag>.tasks.<task>.timeout", T::duration, "0s",
     "A try running longer is stopped (SIGTERM, SIGKILL after scheduler.kill_grace) and failed (0: no limit)."},
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

bool valid_name(std::string_view seg) {
  if (seg.empty() || seg.size() > 200) return false;
  for (char c : seg)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

bool path_matches(std::string_view pattern, std::string_view path) {
  while (true) {
    auto pd = pattern.find('.'), d = path.find('.');
    auto pseg = pattern.substr(0, pd), seg = path.substr(0, d);
    bool wild = pseg.size() > 2 && pseg.front() == '<' && pseg.back() == '>';
    if (wild ? !valid_name(seg) : pseg != seg) return false;
    if (pd == std::string_view::npos || d == std::string_view::npos) return pd == d;
    pattern.remove_prefix(pd + 1);
    path.remove_prefix(d + 1);
  }
}

const KeySpec* find_key(std::string_view path) {
  for (const auto& k : kKeys)
    if (k.path == path) return &k;
  for (const auto& k : kKeys)
    if (k.path.find('<') != std::string_view::npos && path_matches(k.path, path)) return &k;
  return nullptr;
}

const OpenSection* find_open_section(std::string_view path) {
  for (const auto& s : kOpen)
    if (path.size() > s.path.size() && path.starts_with(s.path) && path[s.path.size()] == '.') return &s;
  return nullptr;
}

}  // namespace sluice::config
