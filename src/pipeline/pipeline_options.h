#pragma once
// Everything a pipeline's stages take from the configuration, read in one place: the
// produce task's options, the query's, the consumer's, the topics'. The CLI, the
// scheduler and the web server never read stage keys themselves.
#include <cstdint>
#include <string>

#include "config/config.h"
#include "log/log.h"
#include "produce/produce_job.h"
#include "stream/query/query.h"

namespace sluice::pipeline {

struct PipelineOptions {
  std::string name;  // `pipeline`, e.g. user_automation
  std::string topic, dead_letter_topic;
  int32_t partitions = 3;  // for topics this pipeline creates
  int32_t replication_factor = 1;
  produce::ProduceOptions produce;
  stream::QueryOptions query;
  log::ConsumerOptions consumer;
  // Role::stream on a topic that does not exist yet: create it (`sluice up`, whose
  // scheduled tasks will produce into it) instead of failing.
  bool create_missing_topic = false;

  // Throws UsageError naming the key and its origin for a value the stages refuse.
  // `no_time_limit`: the produce task runs until produce.records however long it
  // takes (the CLI sets it for --records without --for).
  static PipelineOptions from_config(const config::Config& cfg, bool no_time_limit = false);
};

}  // namespace sluice::pipeline
