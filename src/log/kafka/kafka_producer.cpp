#include "log/kafka/kafka_producer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "common/error.h"
#include "log/kafka/kafka_conf.h"

namespace sluice::log::kafka {

KafkaProducer::KafkaProducer(const std::string& bootstrap, const LogSettings& s) {
  // A queue of 20,000 records (~10 MB): records are still in the CPU's cache when
  // librdkafka compresses them and when their memory is reused. On the bench (local
  // broker) 9% less CPU and 40 MB less memory than 100,000, and as fast as 500,000.
  // Against a distant broker the queue bounds throughput to about its size per
  // round trip (10 MB / 10 ms = 1 GB/s); raise kafka.queue.buffering.max.messages then.
  conf_ = make_conf(bootstrap,
                    {{"enable.idempotence", "true"},
                     {"acks", "all"},
                     {"compression.type", "lz4"},
                     {"linger.ms", "5"},
                     {"partitioner", "murmur2_random"},
                     {"queue.buffering.max.messages", "20000"}},
                    s);
  partitioner_ = keyed_partitioner(conf_value(conf_.get(), "partitioner"));
  refresh_every_ = std::chrono::milliseconds(std::stoll(conf_value(conf_.get(), "topic.metadata.refresh.interval.ms")));
  rd_kafka_conf_set_opaque(conf_.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf_.get(), &KafkaProducer::on_delivery);
  rd_kafka_conf_set_error_cb(conf_.get(), &KafkaProducer::on_error);
}

KafkaProducer::~KafkaProducer() {
  if (!rk_) return;  // never sent a record (conf_'s holder frees the configuration)
  try {
    if (!send_staged(Clock::now()))  // one try: a closing producer must not wait for room
      spdlog::error("{} records were not handed to Kafka before the producer closed", staged_.size());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
  rd_kafka_flush(rk_.get(), 10'000);  // serves delivery reports on this thread
  // librdkafka wants a client's topic handles destroyed before the client; the staging
  // pool (declared before rk_) outlives both.
  cur_ = nullptr;
  topics_.clear();
  rk_.reset();
}

// Plain records (no headers, partition or timestamp of their own) are staged and
// handed to librdkafka a batch at a time: one topic lock and one clock read per
// batch instead of per record. The others go at once, after the staged ones.
void KafkaProducer::send(const OutRecord& r) {
  if (topic_ != r.topic) {
    send_staged();
    topic_.assign(r.topic);
    cur_ = &topic_state(topic_);
  }
  if (!r.headers.empty() || r.partition >= 0 || r.timestamp_ms > 0) {
    send_staged();
    send_one(r);
    return;
  }
  size_t need = r.value.size() + (r.key ? r.key->size() : 0);
  if (need > StagingPool::kChunkBytes) {  // larger than any batch: copied by librdkafka on its own
    send_staged();
    send_one(r);
    return;
  }
  if (!open_ || !open_->fits(need)) {
    send_staged();
    if (!open_chunk()) {  // every chunk pinned by records not yet acknowledged
      send_one(r);
      return;
    }
  }
  Staged st;
  st.has_key = r.key.has_value();
  if (st.has_key) st.key_at = open_->append(*r.key);
  st.key_len = st.has_key ? r.key->size() : 0;
  st.value_at = open_->append(r.value);
  st.value_len = r.value.size();
  staged_.push_back(st);
  if (staged_.size() >= kStageRecords) send_staged();
}

DeliveryStats KafkaProducer::poll() {
  if (!rk_) return stats();
  send_staged();
  rd_kafka_poll(rk_.get(), 0);
  return stats();
}

DeliveryStats KafkaProducer::flush(std::chrono::milliseconds timeout) {
  if (!rk_) return stats();
  auto deadline = Clock::now() + timeout;
  send_staged(deadline);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  rd_kafka_flush(rk_.get(), static_cast<int>(std::max<int64_t>(0, left.count())));
  return stats();
}

// A chunk to stage records in, from the pool or new; false (and no open chunk) if
// every chunk is held by records not yet acknowledged (StagingPool's cap). That bounds
// the memory when one partition's records wait long (its leader is down) and pin every
// chunk that holds one of them: records are then copied by librdkafka, one at a time.
bool KafkaProducer::open_chunk() {
  if (open_) pool_.release(open_);  // the writer's reference
  open_ = pool_.acquire();
  if (open_) return true;
  if (!warned_pinned_)
    spdlog::warn("Kafka producer: {} MiB of records wait for their delivery reports; further records are copied "
                 "into librdkafka's queue one at a time until some are acknowledged",
                 StagingPool::kMaxBytes >> 20);
  warned_pinned_ = true;
  return false;
}

// Backpressure: librdkafka's queue is full because the broker is slow or
// unreachable. Waits for deliveries; nothing is dropped.
void KafkaProducer::wait_for_room(std::optional<Clock::time_point>& waiting_since) {
  if (!waiting_since) waiting_since = Clock::now();  // no clock read until the queue is full
  if (Clock::now() - *waiting_since > std::chrono::seconds(5) && !warned_full_) {
    spdlog::warn("Kafka producer queue is full: the broker is slow or unreachable; the source waits");
    warned_full_ = true;
  }
  rd_kafka_poll(rk_.get(), 100);
}

void KafkaProducer::fail(rd_kafka_resp_err_t err) {
  throw FatalError("cannot produce to Kafka topic " + topic_ + ": " + rd_kafka_err2str(err));
}

// Hands the staged records to librdkafka, waiting while its queue is full until
// `deadline` (none: as long as it takes). Returns false if some are left staged.
//
// Keyed records go grouped by partition, one rd_kafka_produce_batch call per
// partition: librdkafka enqueues each group under one lock, and its broker thread
// builds each partition's batch from neighbouring memory (on the bench, 6% less wall
// time than handing records over in their own order, 20 alternating runs). The
// partition is the one librdkafka's configured partitioner would pick, from the
// partition count the producer last read; records keep their order within each
// partition, the only order Kafka keeps.
bool KafkaProducer::send_staged(std::optional<Clock::time_point> deadline) {
  if (staged_.empty()) return true;
  const size_t n = staged_.size();
  // parts == 0: librdkafka partitions them, one group in the order staged.
  const int32_t parts = grouping_partitions();
  const size_t groups = parts > 0 ? static_cast<size_t>(parts) : 1;
  // A stable counting sort of the staged records by partition into batch_:
  // batch_[at] holds staged_[order_[at]], and once sorted group g ends at
  // group_end_[g] (and starts where g - 1 ends).
  part_of_.resize(n);
  group_end_.assign(groups + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const Staged& st = staged_[i];
    part_of_[i] =
        parts > 0 ? partitioner_(cur_->rkt.get(), open_->data() + st.key_at, st.key_len, parts, nullptr, nullptr) : 0;
    ++group_end_[static_cast<size_t>(part_of_[i]) + 1];
  }
  for (size_t g = 1; g <= groups; ++g) group_end_[g] += group_end_[g - 1];
  batch_.assign(n, rd_kafka_message_t{});
  order_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    size_t at = group_end_[static_cast<size_t>(part_of_[i])]++;
    order_[at] = i;
    fill(batch_[at], staged_[i]);
  }
  left_.clear();
  size_t begin = 0;
  for (size_t g = 0; g < groups; ++g) {
    size_t end = group_end_[g];
    int32_t partition = parts > 0 ? static_cast<int32_t>(g) : RD_KAFKA_PARTITION_UA;
    for (size_t i = produce_run(partition, begin, end, deadline); i < end; ++i) left_.push_back(staged_[order_[i]]);
    begin = end;
  }
  staged_.swap(left_);
  return staged_.empty();
}

// The partition count to group the staged records by, or 0 to let librdkafka
// partition them: a partitioner without a keyed form (random), an unkeyed record
// (the *_random partitioners pick at random for those), or an unknown count. The
// count is read again every topic.metadata.refresh.interval.ms, as librdkafka and
// Java's producer do: a key moves when partitions are added.
int32_t KafkaProducer::grouping_partitions() {
  if (!partitioner_) return 0;
  for (const Staged& st : staged_)
    if (!st.has_key) return 0;
  auto now = Clock::now();
  if (now >= cur_->refresh_at) {
    read_partition_count(*cur_, std::chrono::seconds(1));  // the producer waits meanwhile
    cur_->refresh_at = now + (cur_->partitions > 0 ? refresh_every_ : std::chrono::milliseconds(10'000));
  }
  return cur_->partitions;
}

void KafkaProducer::fill(rd_kafka_message_t& m, const Staged& st) const {
  // librdkafka's message fields are not const; it only reads the payload and key.
  char* bytes = const_cast<char*>(open_->data());
  m.payload = bytes + st.value_at;
  m.len = st.value_len;
  if (st.has_key) {
    m.key = bytes + st.key_at;
    m.key_len = st.key_len;
  }
  m._private = open_;  // the delivery report's msg_opaque
}

// Hands batch_[begin, end) to librdkafka for `partition` (or RD_KAFKA_PARTITION_UA),
// in order, waiting while its queue is full until `deadline`. Returns where the
// records it took end.
size_t KafkaProducer::produce_run(int32_t partition, size_t begin, size_t end,
                                  std::optional<Clock::time_point> deadline) {
  std::optional<Clock::time_point> waiting_since;
  size_t done = begin;
  while (done < end) {
    int good =
        rd_kafka_produce_batch(cur_->rkt.get(), partition, 0, batch_.data() + done, static_cast<int>(end - done));
    // Before any poll can serve their delivery reports.
    if (good > 0) StagingPool::pin(open_, static_cast<uint32_t>(good));
    // Once the queue is full, every later record of the call fails with
    // QUEUE_FULL too: go on from the first that failed, once there is room.
    size_t first_full = end;
    for (size_t i = done; i < end; ++i) {
      rd_kafka_message_t& m = batch_[i];
      if (m.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION && partition != RD_KAFKA_PARTITION_UA && first_full == end) {
        // librdkafka knows fewer partitions than the count read (it has not seen
        // the added ones yet): it partitions this record itself.
        m.err = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (rd_kafka_produce_batch(cur_->rkt.get(), RD_KAFKA_PARTITION_UA, 0, &m, 1) == 1) {
          StagingPool::pin(open_, 1);
          continue;
        }
      }
      if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      if (m.err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        staged_.clear();
        fail(m.err);
      }
      first_full = std::min(first_full, i);
    }
    done = first_full;
    if (done == end || (deadline && Clock::now() >= *deadline)) break;
    wait_for_room(waiting_since);
  }
  return done;
}

// One record with headers, partition or timestamp of its own.
void KafkaProducer::send_one(const OutRecord& r) {
  HeadersHandle hdrs;
  if (!r.headers.empty()) {
    hdrs.reset(rd_kafka_headers_new(r.headers.size()));
    for (const auto& h : r.headers)
      rd_kafka_header_add(hdrs.get(), h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                          static_cast<ssize_t>(h.value.size()));
  }
  // librdkafka's macros cast their arguments unparenthesised: pass plain values.
  const char* key = r.key ? r.key->data() : nullptr;
  size_t key_len = r.key ? r.key->size() : 0;
  int32_t partition = r.partition >= 0 ? r.partition : RD_KAFKA_PARTITION_UA;
  int64_t timestamp = r.timestamp_ms > 0 ? r.timestamp_ms : 0;  // 0: librdkafka stamps the time itself
  char* value = const_cast<char*>(r.value.data());
  size_t value_len = r.value.size();
  rd_kafka_headers_t* headers = hdrs.get();
  std::optional<Clock::time_point> waiting_since;
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_RKT(cur_->rkt.get()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)hdrs.release();  // librdkafka owns the headers now
      return;
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) fail(err);  // the headers are still ours: hdrs frees them
    wait_for_room(waiting_since);
  }
}

// librdkafka learns a new topic's partitions on its next metadata scan (up to a
// second later) and holds its records until then; asking now lets the first
// records go at once. A failure only means the scan does it later.
KafkaProducer::TopicState& KafkaProducer::topic_state(const std::string& topic) {
  auto it = topics_.find(topic);
  if (it != topics_.end()) return it->second;
  // The client starts with the first record (a producer that never sends, such as
  // the dead-letter one of a clean run, costs no connection).
  if (!rk_) rk_ = make_client(RD_KAFKA_PRODUCER, std::move(conf_));
  TopicState t;
  t.rkt.reset(rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr));
  if (!t.rkt) fail(rd_kafka_last_error());
  read_partition_count(t, std::chrono::seconds(5));
  t.refresh_at = Clock::now() + (t.partitions > 0 ? refresh_every_ : std::chrono::milliseconds(10'000));
  return topics_.emplace(topic, std::move(t)).first->second;
}

// Asks the broker for the topic's partitions (librdkafka's own view is updated by
// the answer too), waiting up to `timeout`; on failure the count stays as it was.
void KafkaProducer::read_partition_count(TopicState& t, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* raw = nullptr;
  auto err = rd_kafka_metadata(rk_.get(), 0, t.rkt.get(), &raw, static_cast<int>(timeout.count()));
  MetadataHandle md(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0)
    t.partitions = md->topics[0].partition_cnt;
}

// librdkafka's partitioner for keyed records under the `partitioner` setting (the
// *_random ones differ only for unkeyed records), or none (random).
KafkaProducer::Partitioner KafkaProducer::keyed_partitioner(const std::string& name) {
  if (name == "murmur2" || name == "murmur2_random") return &rd_kafka_msg_partitioner_murmur2;
  if (name == "consistent" || name == "consistent_random") return &rd_kafka_msg_partitioner_consistent;
  if (name == "fnv1a" || name == "fnv1a_random") return &rd_kafka_msg_partitioner_fnv1a;
  return nullptr;
}

// Served by rd_kafka_poll/flush on the thread calling them (see the header), for every
// record; a staged record's msg_opaque is its chunk, whose reference it drops.
void KafkaProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (m->_private) self->pool_.release(static_cast<StagingPool::Chunk*>(m->_private));
  if (m->err) {
    self->failed_.fetch_add(1);
    std::lock_guard lk(self->mu_);
    self->last_error_ = rd_kafka_err2str(m->err);
  } else {
    // Reads before writes, so that a delivery costs no locked instruction but the count.
    self->acked_.fetch_add(1, std::memory_order_relaxed);
    if (self->warned_full_.load(std::memory_order_relaxed)) self->warned_full_ = false;
    if (self->unreachable_flag_.load(std::memory_order_relaxed) && self->unreachable_flag_.exchange(false)) {
      std::lock_guard lk(self->mu_);
      self->unreachable_.clear();
      spdlog::info("Kafka broker reachable again; queued records are being delivered");
    }
  }
}

// Client-level errors, served by rd_kafka_poll/flush on the producing thread. All
// brokers down: records wait in the queue (up to message.timeout.ms), and the
// produce task's progress line says so.
void KafkaProducer::on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && err != RD_KAFKA_RESP_ERR__TRANSPORT &&
      err != RD_KAFKA_RESP_ERR__RESOLVE)
    return;
  std::lock_guard lk(self->mu_);
  if (!self->unreachable_flag_.exchange(true))
    spdlog::warn("Kafka broker unreachable ({}); records wait in the producer's queue", reason);
  self->unreachable_ = reason;
}

DeliveryStats KafkaProducer::stats() {
  DeliveryStats d;
  d.acked = acked_.load();
  d.failed = failed_.load();
  std::lock_guard lk(mu_);
  d.last_error = last_error_;
  d.unreachable = unreachable_;
  return d;
}

}  // namespace sluice::log::kafka
