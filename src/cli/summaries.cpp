#include "cli/summaries.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "cli/format.h"
#include "common/json_writer.h"

namespace sluice::cli {
namespace {

double per_second(double n, double secs) { return n / (secs > 0 ? secs : 1e-9); }

void counts_object(JsonWriter& w, const std::map<std::string, uint64_t>& m) {
  w.begin_object();
  for (const auto& [k, v] : m) w.field(k, v);
  w.end_object();
}

void query_summary(JsonWriter& w, const stream::QuerySummary& s) {
  w.begin_object()
      .field("batches", s.batches)
      .field("input_rows", s.input_rows)
      .field("written_rows", s.written_rows)
      .field("dead_lettered", s.dead_lettered)
      .field("skipped", s.skipped)
      .field("sink_retries", s.sink_retries)
      .field("elapsed_s", s.elapsed_s, 3)
      .field("latency_p50_ms", s.latency_p50_ms, 3)
      .field("latency_p99_ms", s.latency_p99_ms, 3)
      .field("failed", s.failed);
  if (s.failed) w.field("error", s.error);
  w.end_object();
}

}  // namespace

std::string produce_summary_json(const produce::ProduceStats& s, const pipeline::PipelineOptions& o,
                                 const std::string& source_kind) {
  JsonWriter w;
  w.begin_object()
      .field("topic", o.topic)
      .field("produced", s.produced)
      .field("dead_lettered", s.dead_lettered)
      .field("dead_letter_topic", o.dead_letter_topic)
      .key("map_failures");
  counts_object(w, s.map_failure_kinds);
  w.field("delivery_failures", s.delivery_failures)
      .field("elapsed_s", s.elapsed_s, 3)
      .field("records_per_s", per_second(static_cast<double>(s.produced), s.elapsed_s), 0)
      .field("bytes", s.bytes)
      .field("mb_per_s", per_second(static_cast<double>(s.bytes), s.elapsed_s) / 1e6, 1)
      .key("source")
      .begin_object()
      .field("kind", source_kind)
      .field("requests", s.source.requests)
      .field("responses", s.source.batches)
      .field("records", s.source.records)
      .field("retries", s.source.retries)
      .key("errors");
  counts_object(w, s.source.errors);
  w.end_object();
  // The offsets the run's records went to: the scheduler's runs are reconciled by them
  // (web/reconciler.h).
  w.key("offsets").begin_object();
  for (const auto& [p, range] : s.topic_offsets)
    w.key(std::to_string(p)).begin_array().value(range.first).value(range.second).end_array();
  w.end_object().end_object();
  return w.take();
}

std::string query_summary_json(const stream::QuerySummary& s) {
  JsonWriter w;
  query_summary(w, s);
  return w.take();
}

std::string run_summary_json(const pipeline::RunSummary& r) {
  const auto& ps = r.produce;
  const auto& qs = r.query;
  JsonWriter w;
  w.begin_object()
      .field("produced", ps.produced)
      .field("written", qs.written_rows)
      .field("dead_lettered", ps.dead_lettered + qs.dead_lettered)
      .field("final_lag", r.lag.total)
      .field("produce_elapsed_s", ps.elapsed_s, 3)
      .field("records_per_s", per_second(static_cast<double>(ps.produced), ps.elapsed_s), 0)
      .field("latency_p50_ms", qs.latency_p50_ms, 3)
      .field("latency_p99_ms", qs.latency_p99_ms, 3)
      .key("query");
  query_summary(w, qs);
  w.end_object();
  return w.take();
}

std::string produce_progress_text(const produce::ProduceStats& s, const produce::ProduceOptions& o) {
  std::string line = fmt::format("produced {} ({}/s)  dlq {}  source errors {}  {:.1f}s", group_digits(s.produced),
                                 human_rate(per_second(static_cast<double>(s.produced), s.elapsed_s)),
                                 group_digits(s.dead_lettered), group_digits(s.source.error_total()), s.elapsed_s);
  if (o.duration.count() > 0) line += fmt::format("/{:.0f}s", o.duration.count() / 1000.0);
  if (!s.log_unreachable.empty()) line += "  log unreachable (" + s.log_unreachable + "): records wait";
  return line;
}

std::string query_progress_text(const stream::QuerySummary& s, const stream::BatchProgress* last) {
  std::string line = fmt::format("batches {}  read {}  written {}  dlq {}", group_digits(s.batches),
                                 group_digits(s.input_rows), group_digits(s.written_rows), group_digits(s.dead_lettered));
  if (s.skipped) line += fmt::format("  skipped {}", group_digits(s.skipped));
  if (last)
    line += fmt::format("  last batch {} rows in {:.0f} ms, latency p99 {:.0f} ms", group_digits(last->input_rows),
                        last->total_ms, last->latency_p99_ms);
  if (s.sink_retries) line += fmt::format("  sink retries {}", group_digits(s.sink_retries));
  return line;
}

ProgressLine::ProgressLine(bool wanted) : active_(wanted && isatty(2)) {}

void ProgressLine::show(const std::string& text) {
  if (!active_) return;
  std::cerr << "\r\033[K" << text << std::flush;
  shown_ = true;
}

void ProgressLine::clear() {
  if (!active_ || !shown_) return;
  std::cerr << "\r\033[K" << std::flush;
  shown_ = false;
}

}  // namespace sluice::cli
