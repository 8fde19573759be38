// `sluice topics list | describe | create | tail`: what users do with kafka-topics.sh,
// kafka-consumer-groups.sh and kcat, on either log backend.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "cli/cli_context.h"
#include "cli/format.h"
#include "common/error.h"
#include "common/json_writer.h"
#include "log/factory/open_log.h"
#include "log/lag.h"

namespace sluice::cli {
namespace {

struct TopicsFlags {
  std::string topic;
  int32_t partitions = 0;
  int32_t replication_factor = 0;
  size_t count = 10;
  bool json = false;
};

std::unique_ptr<log::Log> open(const config::Config& cfg) { return log::open_log(log::log_settings(cfg)); }

int list(CliContext& ctx) {
  auto cfg = load_config(ctx);
  auto log = open(cfg);
  auto admin = log->admin();
  auto topics = admin->list_topics();
  std::sort(topics.begin(), topics.end());
  if (topics.empty()) std::cerr << "no topics in " << log->describe() << "\n";
  for (const auto& t : topics) {
    auto d = admin->describe_topic(t);
    int64_t records = 0;
    for (const auto& p : d.partitions) records += p.end_offset - p.start_offset;
    std::cout << fmt::format("{:<28} {:>3} partitions  {:>14} records\n", t, d.partitions.size(),
                             group_digits(static_cast<uint64_t>(records)));
  }
  return 0;
}

int describe(CliContext& ctx, const TopicsFlags& f) {
  auto cfg = load_config(ctx);
  auto log = open(cfg);
  auto admin = log->admin();
  std::string topic = f.topic.empty() ? cfg.str("topic") : f.topic;
  auto d = admin->describe_topic(topic);
  auto groups = admin->group_offsets(topic);
  std::vector<log::TopicLag> lags;
  for (const auto& g : groups) lags.push_back(log::consumer_lag(d, g.committed, log::StartFrom::earliest));
  if (f.json) {
    JsonWriter w;
    w.begin_object().field("topic", d.name).field("replication_factor", d.replication_factor);
    w.key("partitions").begin_array();
    for (const auto& p : d.partitions)
      w.begin_object()
          .field("partition", p.partition)
          .field("start_offset", p.start_offset)
          .field("end_offset", p.end_offset)
          .field("bytes", p.bytes)
          .end_object();
    w.end_array().key("groups").begin_array();
    for (size_t g = 0; g < groups.size(); ++g) {
      w.begin_object().field("group", groups[g].group).key("committed").begin_object();
      for (const auto& p : lags[g].partitions)
        w.field(std::to_string(p.partition), p.committed.value_or(p.start_offset));
      w.end_object().field("lag", lags[g].total).end_object();
    }
    w.end_array().end_object();
    std::cout << w.str() << "\n";
    return 0;
  }
  std::cout << fmt::format("topic {}  partitions {}  replication {}\n", d.name, d.partitions.size(), d.replication_factor);
  std::cout << fmt::format("  {:>9}  {:>14}  {:>14}  {:>14}  {:>12}\n", "partition", "start offset", "end offset",
                           "records", "bytes");
  for (const auto& p : d.partitions)
    std::cout << fmt::format("  {:>9}  {:>14}  {:>14}  {:>14}  {:>12}\n", p.partition, p.start_offset, p.end_offset,
                             group_digits(static_cast<uint64_t>(p.end_offset - p.start_offset)),
                             group_digits(static_cast<uint64_t>(p.bytes)));
  if (groups.empty()) std::cout << "  no consumer group has committed offsets\n";
  for (size_t g = 0; g < groups.size(); ++g) {
    std::string per;
    for (const auto& p : lags[g].partitions) per += fmt::format(" {}:{}", p.partition, p.committed.value_or(p.start_offset));
    std::cout << fmt::format("  group {}  lag {}  committed{}\n", groups[g].group,
                             group_digits(static_cast<uint64_t>(lags[g].total)), per);
  }
  return 0;
}

int create(CliContext& ctx, const TopicsFlags& f) {
  auto cfg = load_config(ctx);
  auto log = open(cfg);
  int32_t parts = f.partitions > 0 ? f.partitions : static_cast<int32_t>(cfg.integer("topics.partitions"));
  int32_t rf = f.replication_factor > 0 ? f.replication_factor : static_cast<int32_t>(cfg.integer("topics.replication_factor"));
  if (!log->admin()->create_topic(f.topic, parts, rf)) {
    std::cerr << "sluice: topic " << f.topic << " already exists\n";
    return 1;
  }
  std::cout << fmt::format("created topic {} with {} partitions\n", f.topic, parts);
  return 0;
}

std::string message_json(const log::Message& m) {
  JsonWriter w;
  w.begin_object().field("topic", m.topic).field("partition", m.partition).field("offset", m.offset);
  w.field("timestamp", m.timestamp_ms).key("key");
  if (m.key) w.value(*m.key);
  else w.null();
  w.field("value", m.value);
  if (!m.headers.empty()) {
    w.key("headers").begin_object();
    for (const auto& h : m.headers) w.field(h.key, h.value);
    w.end_object();
  }
  w.end_object();
  return w.take();
}

int tail(CliContext& ctx, const TopicsFlags& f) {
  auto cfg = load_config(ctx);
  auto log = open(cfg);
  std::string topic = f.topic.empty() ? cfg.str("topic") : f.topic;
  auto d = log->admin()->describe_topic(topic);
  std::vector<log::TopicPartitionOffset> assign;
  std::map<int32_t, int64_t> end;
  for (const auto& p : d.partitions) {
    if (p.end_offset <= p.start_offset) continue;
    int64_t from = std::max<int64_t>(p.start_offset, p.end_offset - static_cast<int64_t>(f.count));
    assign.push_back({topic, p.partition, from});
    end[p.partition] = p.end_offset;
  }
  std::vector<log::Message> got;
  if (!assign.empty()) {
    auto consumer = log->consumer({});
    consumer->assign(assign);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::map<int32_t, int64_t> next;
    for (const auto& a : assign) next[a.partition] = a.offset;
    auto done = [&] {
      for (const auto& [p, e] : end)
        if (next[p] < e) return false;
      return true;
    };
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      for (auto& m : consumer->poll(4096, std::chrono::milliseconds(200))) {
        if (m.offset >= end[m.partition]) continue;
        next[m.partition] = m.offset + 1;
        got.push_back(std::move(m));
      }
    }
  }
  std::stable_sort(got.begin(), got.end(), [](const log::Message& a, const log::Message& b) {
    return a.timestamp_ms != b.timestamp_ms ? a.timestamp_ms < b.timestamp_ms : a.partition < b.partition;
  });
  size_t skip = got.size() > f.count ? got.size() - f.count : 0;
  for (size_t i = skip; i < got.size(); ++i) {
    const auto& m = got[i];
    if (f.json) std::cout << message_json(m) << "\n";
    else
      std::cout << fmt::format("{}/{} {} key={} {}\n", m.partition, m.offset, m.timestamp_ms, m.key ? *m.key : "(null)",
                               m.value);
  }
  return 0;
}

}  // namespace

void add_topics_command(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<TopicsFlags>();
  auto* topics = app.add_subcommand("topics", "List, describe, create and read topics (with consumer group lag)");
  topics->require_subcommand(1);
  topics->fallthrough();

  auto* l = topics->add_subcommand("list", "List topics with their partitions and record counts");
  l->fallthrough();
  l->callback([&ctx] { ctx.action = [&ctx] { return list(ctx); }; });

  auto* d = topics->add_subcommand("describe", "Partitions, offsets, sizes and each consumer group's lag");
  d->fallthrough();
  d->add_option("topic", f->topic, "Topic (default: the config's `topic`)");
  d->add_flag("--json", f->json, "Print one JSON object");
  d->callback([&ctx, f] { ctx.action = [&ctx, f] { return describe(ctx, *f); }; });

  auto* c = topics->add_subcommand("create", "Create a topic");
  c->fallthrough();
  c->add_option("topic", f->topic, "Topic name")->required();
  c->add_option("-p,--partitions", f->partitions, "Partitions (default: topics.partitions)")->check(CLI::Range(1, 10000));
  c->add_option("-r,--replication-factor", f->replication_factor, "Replication factor (Kafka; default: topics.replication_factor)")
      ->check(CLI::Range(1, 100));
  c->callback([&ctx, f] { ctx.action = [&ctx, f] { return create(ctx, *f); }; });

  auto* t = topics->add_subcommand("tail", "Print the last N messages of a topic (like kcat -C -o -N -e)");
  t->fallthrough();
  t->add_option("topic", f->topic, "Topic (default: the config's `topic`)");
  t->add_option("-n", f->count, "How many messages")->check(CLI::Range(1, 1000000))->capture_default_str();
  t->add_flag("--json", f->json, "One JSON object a line: topic, partition, offset, timestamp, key, value, headers");
  t->callback([&ctx, f] { ctx.action = [&ctx, f] { return tail(ctx, *f); }; });
}

}  // namespace sluice::cli
