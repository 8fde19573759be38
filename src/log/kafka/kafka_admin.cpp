#include "log/kafka/kafka_admin.h"

#include <algorithm>

#include "common/error.h"
#include "log/kafka/kafka_conf.h"
#include "log/kafka/kafka_consumer.h"

namespace sluice::log::kafka {

KafkaAdmin::KafkaAdmin(const std::string& bootstrap, const LogSettings& s)
    : bootstrap_(bootstrap), settings_(s), rk_(make_client(RD_KAFKA_PRODUCER, make_conf(bootstrap, {}, s))) {}

std::vector<std::string> KafkaAdmin::list_topics() {
  MetadataHandle md = metadata(nullptr);
  std::vector<std::string> out;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (md->topics[i].topic[0] != '_') out.emplace_back(md->topics[i].topic);
  return out;
}

TopicDescription KafkaAdmin::describe_topic(std::string_view topic) {
  std::string t(topic);
  MetadataHandle md;
  {
    TopicHandle rkt(rd_kafka_topic_new(rk_.get(), t.c_str(), nullptr));
    md = metadata(rkt.get());
  }
  if (md->topic_cnt < 1 || md->topics[0].err) throw UsageError("topic " + t + " does not exist in Kafka at " + bootstrap_);
  TopicDescription d;
  d.name = t;
  const auto& mt = md->topics[0];
  d.replication_factor = mt.partition_cnt > 0 ? mt.partitions[0].replica_cnt : 1;
  for (int i = 0; i < mt.partition_cnt; ++i) {
    int64_t lo = 0, hi = 0;
    rd_kafka_query_watermark_offsets(rk_.get(), t.c_str(), mt.partitions[i].id, &lo, &hi, kAdminTimeoutMs);
    d.partitions.push_back({mt.partitions[i].id, lo, hi, 0});
  }
  std::sort(d.partitions.begin(), d.partitions.end(),
            [](const PartitionInfo& a, const PartitionInfo& b) { return a.partition < b.partition; });
  return d;
}

bool KafkaAdmin::topic_exists(std::string_view topic) {
  for (const auto& t : list_topics())
    if (t == topic) return true;
  return false;
}

bool KafkaAdmin::create_topic(std::string_view topic, int32_t partitions, int32_t rf) {
  std::string t(topic);
  char err[512];
  NewTopicHandle nt(rd_kafka_NewTopic_new(t.c_str(), partitions, rf, err, sizeof err));
  if (!nt) throw UsageError("cannot create topic " + t + ": " + err);
  QueueHandle q(rd_kafka_queue_new(rk_.get()));
  AdminOptionsHandle opts(rd_kafka_AdminOptions_new(rk_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_operation_timeout(opts.get(), kAdminTimeoutMs, err, sizeof err);
  rd_kafka_NewTopic_t* new_topics[] = {nt.get()};  // still owned by nt: CreateTopics copies them
  rd_kafka_CreateTopics(rk_.get(), new_topics, 1, opts.get(), q.get());
  EventHandle ev(rd_kafka_queue_poll(q.get(), kAdminTimeoutMs + 5000));
  std::string failure;
  bool created = false;
  if (!ev) {
    failure = "no answer from the broker";
  } else if (rd_kafka_event_error(ev.get())) {
    failure = rd_kafka_event_error_string(ev.get());
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
    auto code = n > 0 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) created = true;
    else if (code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) failure = rd_kafka_topic_result_error_string(res[0]);
  }
  if (!failure.empty()) throw FatalError("cannot create Kafka topic " + t + " at " + bootstrap_ + ": " + failure);
  return created;
}

std::vector<GroupOffsets> KafkaAdmin::group_offsets(std::string_view topic) {
  std::vector<GroupOffsets> out;
  const rd_kafka_group_list* raw = nullptr;
  if (rd_kafka_list_groups(rk_.get(), nullptr, &raw, kAdminTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    GroupListHandle discard(raw);  // in case librdkafka handed one over with the error
    return out;
  }
  GroupListHandle groups(raw);
  auto desc = describe_topic(topic);  // may throw: groups' holder frees the list
  std::string t(topic);
  for (int g = 0; g < groups->group_cnt; ++g) {
    std::string name = groups->groups[g].group;
    // A consumer handle of that group reads its committed offsets (it does not join).
    ConsumerOptions o;
    o.group = name;
    KafkaConsumer probe(bootstrap_, settings_, o);
    PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(desc.partitions.size())));
    for (const auto& p : desc.partitions) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), p.partition);
    GroupOffsets go;
    go.group = name;
    if (probe.committed_for(list.get()))
      for (int i = 0; i < list->cnt; ++i)
        if (list->elems[i].offset >= 0) go.committed[list->elems[i].partition] = list->elems[i].offset;
    if (!go.committed.empty()) out.push_back(std::move(go));
  }
  return out;
}

MetadataHandle KafkaAdmin::metadata(rd_kafka_topic_t* only) {
  const rd_kafka_metadata_t* raw = nullptr;
  auto err = rd_kafka_metadata(rk_.get(), only ? 0 : 1, only, &raw, kAdminTimeoutMs);
  MetadataHandle md(raw);
  if (err)
    throw FatalError("cannot reach Kafka at " + bootstrap_ + ": " + rd_kafka_err2str(err) +
                     " (is the broker running? check the log URI)");
  return md;
}

}  // namespace sluice::log::kafka
