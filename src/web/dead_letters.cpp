#include "web/dead_letters.h"

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "log/dead_letter.h"

namespace sluice::web {

DeadLetterView view_of(log::Message m) {
  DeadLetterView v;
  std::string topic, partition;
  for (const auto& h : m.headers) {
    if (h.key == "error.kind") v.kind = h.value;
    else if (h.key == "error.reason") v.reason = h.value;
    else if (h.key == "error.stage") v.stage = h.value;
    else if (h.key == "source.topic") topic = h.value;
    else if (h.key == "source.partition") partition = h.value;
    else if (h.key == "source.offset") v.origin_offset = std::strtoll(h.value.c_str(), nullptr, 10);
    else if (h.key == log::kRedrivenHeader) v.redriven_from = h.value;
  }
  if (!topic.empty() && !partition.empty())
    v.origin_tp = log::TopicPartition{topic, static_cast<int32_t>(std::strtol(partition.c_str(), nullptr, 10))};
  v.record = std::move(m);
  return v;
}

void dead_letter_json(JsonWriter& w, const DeadLetterView& v) {
  const auto& m = v.record;
  w.begin_object().field("partition", m.partition).field("offset", m.offset).field("timestamp_ms", m.timestamp_ms);
  w.field("kind", v.kind).field("reason", v.reason).field("stage", v.stage);
  w.key("origin");
  if (v.origin_tp)
    w.begin_object()
        .field("topic", v.origin_tp->topic)
        .field("partition", v.origin_tp->partition)
        .field("offset", v.origin_offset)
        .end_object();
  else w.null();
  w.key("key");
  if (m.key) w.value(*m.key);
  else w.null();
  w.field("value", m.value).field("redriven", v.redriven);
  w.key("redriven_from");
  if (v.redriven_from.empty()) w.null();
  else w.value(v.redriven_from);
  w.key("headers").begin_array();
  for (const auto& h : m.headers) w.begin_object().field("key", h.key).field("value", h.value).end_object();
  w.end_array().end_object();
}

RedriveResult redrive(log::Log& log, log::Admin& admin, const std::string& dlq_topic, const std::string& source_topic,
                      const RedriveRequest& req, history::HistoryStore* history) {
  RedriveResult out;
  out.target = source_topic;
  if (!req.all && req.kind.empty() && req.letters.empty())
    throw UsageError("redrive what? name letters (partition/offset), a reason kind, or all");
  std::set<std::pair<int32_t, int64_t>> wanted(req.letters.begin(), req.letters.end());
  auto done = history ? history->redriven(dlq_topic) : std::set<std::pair<int32_t, int64_t>>{};

  MessageQuery q;
  q.mode = MessageQuery::Mode::offset;
  q.limit = 1'000'000;
  q.max_scan = 1'000'000;
  q.deadline = std::chrono::seconds(30);
  std::vector<DeadLetterView> chosen;
  auto desc = admin.describe_topic(dlq_topic);
  for (const auto& p : desc.partitions) {
    q.partition = p.partition;
    q.offset = p.start_offset;
    if (!wanted.empty()) {  // only the partitions and offsets asked for
      auto lo = wanted.lower_bound({p.partition, INT64_MIN});
      if (lo == wanted.end() || lo->first != p.partition) continue;
      q.offset = std::max(p.start_offset, lo->second);
    }
    auto page = read_messages(log, admin, dlq_topic, q);
    if (page.truncated) throw FatalError("the dead-letter topic " + dlq_topic + " could not be read in 30 s; nothing was redriven");
    for (auto& m : page.messages) {
      if (!wanted.empty() && !wanted.count({m.partition, m.offset})) continue;
      auto v = view_of(std::move(m));
      if (!req.kind.empty() && v.kind != req.kind) continue;
      wanted.erase({v.record.partition, v.record.offset});
      if (!req.again && (done.count({v.record.partition, v.record.offset}) || !v.redriven_from.empty())) {
        ++out.already;
        continue;
      }
      chosen.push_back(std::move(v));
    }
  }
  out.missing = wanted.size();
  if (chosen.empty()) return out;

  auto producer = log.producer({.exclusive = false});
  for (const auto& v : chosen) {
    std::vector<log::Header> headers{
        {std::string(log::kRedrivenHeader), fmt::format("{}/{}/{}", dlq_topic, v.record.partition, v.record.offset)}};
    log::OutRecord r;
    r.topic = source_topic;
    if (v.record.key) r.key = *v.record.key;
    r.value = v.record.value;
    r.headers = headers;
    producer->send(r);
  }
  auto stats = producer->flush(std::chrono::seconds(30));
  if (stats.failed > 0 || stats.acked < chosen.size())
    throw FatalError(fmt::format("the log acknowledged {} of {} redriven records{}{}", stats.acked, chosen.size(),
                                 stats.last_error.empty() ? "" : ": ", stats.last_error));
  int64_t now = wall_ms();
  if (history)
    for (const auto& v : chosen) history->mark_redriven(dlq_topic, v.record.partition, v.record.offset, now);
  out.redriven = chosen.size();
  return out;
}

}  // namespace sluice::web
