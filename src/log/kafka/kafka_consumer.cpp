#include "log/kafka/kafka_consumer.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "common/clock.h"
#include "common/error.h"
#include "log/data_loss.h"
#include "log/kafka/kafka_conf.h"

namespace sluice::log::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// The client's current assignment (null if it has none or librdkafka cannot tell).
PartitionListHandle assignment_of(rd_kafka_t* rk) {
  rd_kafka_topic_partition_list_t* a = nullptr;
  if (rd_kafka_assignment(rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    PartitionListHandle discard(a);  // librdkafka may hand over a list even on failure
    return nullptr;
  }
  return PartitionListHandle(a);
}

}  // namespace

KafkaConsumer::KafkaConsumer(const std::string& bootstrap, const LogSettings& s, const ConsumerOptions& o)
    : group_(o.group), options_(o) {
  std::map<std::string, std::string> defaults = {
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", o.start == StartFrom::latest ? "latest" : "earliest"},
      {"enable.partition.eof", "false"},
  };
  // librdkafka's consumer needs a group.id even for assign(): a reader outside any
  // group (topics tail, tests) gets a private one, never joined nor committed.
  defaults["group.id"] = !o.group.empty() ? o.group : fmt::format("sluice-reader-{}-{}", ::getpid(), wall_ms());
  ConfHandle conf = make_conf(bootstrap, defaults, s);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaConsumer::on_rebalance);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rk_ = make_client(RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_poll_set_consumer(rk_.get());
}

KafkaConsumer::~KafkaConsumer() {
  rd_kafka_consumer_close(rk_.get());  // every member the rebalance callback touches is alive here
}

void KafkaConsumer::subscribe(const std::vector<std::string>& topics) {
  if (group_.empty()) throw UsageError("subscribe() needs a consumer group");
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  auto err = rd_kafka_subscribe(rk_.get(), list.get());
  if (err) throw FatalError(std::string("cannot subscribe to Kafka topics: ") + rd_kafka_err2str(err));
}

void KafkaConsumer::assign(const std::vector<TopicPartitionOffset>& parts) {
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
  for (const auto& p : parts)
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = p.offset;
  auto err = rd_kafka_assign(rk_.get(), list.get());
  if (err) throw FatalError(std::string("cannot assign Kafka partitions: ") + rd_kafka_err2str(err));
}

std::vector<Message> KafkaConsumer::poll(size_t max, std::chrono::milliseconds timeout) {
  std::vector<Message> out;
  if (!data_loss_.empty()) throw DataLossError(data_loss_);
  if (paused_) set_paused(false);
  while (!held_.empty() && out.size() < max) {
    out.push_back(std::move(held_.front()));
    held_.pop_front();
  }
  auto deadline = Clock::now() + timeout;
  while (out.size() < max) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int wait = out.empty() ? static_cast<int>(std::max<int64_t>(0, left)) : 0;
    MessageHandle m(rd_kafka_consumer_poll(rk_.get(), wait));
    if (!m) {
      if (!out.empty() || Clock::now() >= deadline) break;
      continue;
    }
    if (!data_loss_.empty()) throw DataLossError(data_loss_);
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) spdlog::warn("Kafka consumer: {}", rd_kafka_message_errstr(m.get()));
      continue;
    }
    out.push_back(to_message(m.get()));
  }
  return out;
}

// Pauses the assigned partitions and serves the group protocol (heartbeats,
// rebalances) so that a long sink outage does not get this member kicked out
// (max.poll.interval.ms). A message already fetched is held for the next poll().
void KafkaConsumer::keep_alive() {
  if (!paused_) set_paused(true);
  while (MessageHandle m = MessageHandle(rd_kafka_consumer_poll(rk_.get(), 0)))
    if (!m->err) held_.push_back(to_message(m.get()));
}

Message KafkaConsumer::to_message(const rd_kafka_message_t* m) {
  Message msg;
  msg.topic = rd_kafka_topic_name(m->rkt);
  msg.partition = m->partition;
  msg.offset = m->offset;
  rd_kafka_timestamp_type_t tstype;
  msg.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
  if (m->key) msg.key = std::string(static_cast<const char*>(m->key), m->key_len);
  msg.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* hdrs = nullptr;  // the message's own: freed with it
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* val;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
      msg.headers.push_back({name, val ? std::string(static_cast<const char*>(val), size) : std::string()});
  }
  return msg;
}

// Pauses or resumes every assigned partition (partitions assigned later follow
// paused_ in the rebalance callback).
void KafkaConsumer::set_paused(bool pause) {
  if (PartitionListHandle a = assignment_of(rk_.get())) {
    if (pause) rd_kafka_pause_partitions(rk_.get(), a.get());
    else rd_kafka_resume_partitions(rk_.get(), a.get());
  }
  paused_ = pause;
}

// On assignment (a restart, or partitions moved here by a rebalance): a committed
// offset outside what the broker holds means records were deleted unread (retention,
// or the topic recreated). librdkafka would silently jump to auto.offset.reset;
// under fail_on_data_loss the next poll() throws instead.
// Called from the rebalance callback, on the query's thread.
void KafkaConsumer::check_data_loss(rd_kafka_topic_partition_list_t* parts) {
  PartitionListHandle list(rd_kafka_topic_partition_list_copy(parts));
  if (rd_kafka_committed(rk_.get(), list.get(), kAdminTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.offset < 0) continue;  // nothing committed: starting_offsets applies
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk_.get(), e.topic, e.partition, &lo, &hi, kAdminTimeoutMs)) continue;
    if (e.offset >= lo && e.offset <= hi) continue;
    DataLoss loss{.group = group_,
                  .topic = e.topic,
                  .partition = e.partition,
                  .committed = e.offset,
                  .held_start = lo,
                  .held_end = hi,
                  .held_by = "broker",
                  .resume_at = std::nullopt};
    if (options_.fail_on_data_loss) {
      data_loss_ = data_loss_message(loss, OnDataLoss::fail);
      break;
    }
    spdlog::warn("{}", data_loss_message(loss, OnDataLoss::warn));
  }
}

// Commits only the partitions this member still owns, and returns those. A
// rebalance under way commits none: the records stay uncommitted and their next
// owner replays them into the same rows.
std::vector<TopicPartitionOffset> KafkaConsumer::commit(const std::vector<TopicPartitionOffset>& offsets) {
  if (group_.empty()) throw UsageError("commit() needs a consumer group");
  std::vector<TopicPartitionOffset> stored;
  PartitionListHandle owned = assignment_of(rk_.get());
  if (!owned) return stored;
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets)
    if (rd_kafka_topic_partition_list_find(owned.get(), o.topic.c_str(), o.partition)) {
      rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset = o.offset;
      stored.push_back(o);
    }
  owned.reset();
  auto err = list->cnt > 0 ? rd_kafka_commit(rk_.get(), list.get(), 0) : RD_KAFKA_RESP_ERR_NO_ERROR;  // synchronous
  list.reset();
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR: return stored;
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__NO_OFFSET: return {};
    default: throw FatalError(std::string("Kafka offset commit failed: ") + rd_kafka_err2str(err));
  }
}

bool KafkaConsumer::committed_for(rd_kafka_topic_partition_list_t* list) {
  return rd_kafka_committed(rk_.get(), list, kAdminTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::vector<TopicPartitionOffset> KafkaConsumer::committed() {
  std::vector<TopicPartitionOffset> out;
  PartitionListHandle assignment = assignment_of(rk_.get());
  if (!assignment) return out;
  if (rd_kafka_committed(rk_.get(), assignment.get(), kAdminTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR)
    for (int i = 0; i < assignment->cnt; ++i)
      if (assignment->elems[i].offset >= 0)
        out.push_back({assignment->elems[i].topic, assignment->elems[i].partition, assignment->elems[i].offset});
  return out;
}

// Eager rebalancing: on revoke the query's in-flight batch is simply not committed
// (the next owner replays it; upserts make that harmless); on assign, reading
// resumes from the group's committed offsets.
// Called from rd_kafka_consumer_poll on the query's thread (and from
// rd_kafka_consumer_close in the destructor).
void KafkaConsumer::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                                 void* opaque) {
  auto* self = static_cast<KafkaConsumer*>(opaque);
  std::string names;
  for (int i = 0; i < parts->cnt; ++i) names += fmt::format("{}{}", i ? "," : "", parts->elems[i].partition);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    spdlog::info("Kafka group {}: {} partitions assigned [{}]", self->group_, parts->cnt, names);
    self->check_data_loss(parts);
    rd_kafka_assign(rk, parts);
    if (self->paused_) rd_kafka_pause_partitions(rk, parts);
  } else {
    spdlog::info("Kafka group {}: partitions revoked [{}]", self->group_, names);
    self->held_.clear();  // their next owner reads them
    rd_kafka_assign(rk, nullptr);
  }
}

}  // namespace sluice::log::kafka
