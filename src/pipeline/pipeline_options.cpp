#include "pipeline/pipeline_options.h"

#include "common/error.h"
#include "sources/factory/make_source.h"

namespace sluice::pipeline {

PipelineOptions PipelineOptions::from_config(const config::Config& cfg, bool no_time_limit) {
  PipelineOptions o;
  o.name = cfg.str("pipeline");
  o.topic = cfg.str("topic");
  o.dead_letter_topic = cfg.dead_letter_topic();
  o.partitions = static_cast<int32_t>(cfg.integer("topics.partitions"));
  o.replication_factor = static_cast<int32_t>(cfg.integer("topics.replication_factor"));

  auto& p = o.produce;
  p.topic = o.topic;
  p.dead_letter_topic = o.dead_letter_topic;
  p.duration = no_time_limit ? std::chrono::milliseconds(0) : cfg.duration("produce.for");
  p.max_records = static_cast<uint64_t>(cfg.integer("produce.records"));
  p.rate = cfg.number("produce.rate");
  p.batch_size = sources::source_batch_size(cfg);

  auto& q = o.query;
  q.name = cfg.str("stream.group");
  q.topic = o.topic;
  q.dead_letter_topic = o.dead_letter_topic;
  auto trigger = stream::Trigger::parse(cfg.str("stream.trigger"));
  if (!trigger)
    throw UsageError(cfg.origin("stream.trigger") + ": stream.trigger: expected an interval such as 10s, once, "
                     "available-now or continuous, got \"" + cfg.str("stream.trigger") + "\"");
  q.trigger = *trigger;
  q.max_records_per_batch = static_cast<size_t>(cfg.integer("stream.max_records_per_batch"));
  q.on_error = cfg.choice<stream::OnError>(
      "stream.on_error", {{"dlq", stream::OnError::dlq}, {"fail", stream::OnError::fail}, {"skip", stream::OnError::skip}});
  q.max_value_bytes = static_cast<size_t>(cfg.bytes("stream.max_value_bytes"));
  auto start = cfg.choice<log::StartFrom>("stream.starting_offsets",
                                          {{"earliest", log::StartFrom::earliest}, {"latest", log::StartFrom::latest}});
  q.start_latest = start == log::StartFrom::latest;

  o.consumer.group = q.name;
  o.consumer.start = start;
  o.consumer.fail_on_data_loss = cfg.boolean("stream.fail_on_data_loss");
  return o;
}

}  // namespace sluice::pipeline
