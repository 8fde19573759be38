#pragma once
// Reading a topic back, through sluice's own log client (embedded or Kafka). Part of
// sluice_test_readers, which links the log.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "log/log.h"
#include "support/scratch_dir.h"

namespace sluice::testing {

// Every message of `topic` of the log at `log_uri` (all partitions, from their start, no
// consumer group), waiting up to `limit` for as many as the partitions' offsets say it
// holds; fewer if they do not all arrive in time (the caller asserts on the count). Empty
// if the topic does not exist.
std::vector<log::Message> read_topic(const std::string& log_uri, const std::string& topic,
                                     std::chrono::seconds limit = std::chrono::seconds(30));
// The same on the scratch directory's embedded log.
std::vector<log::Message> read_topic(const ScratchDir& d, const std::string& topic);

// The records `topic` holds by its partitions' offsets (end - start, summed): those the
// log has acknowledged. 0 if the topic does not exist. One admin call; poll it with
// wait_for to see records arrive.
int64_t records_in(log::Admin& admin, const std::string& topic);

}  // namespace sluice::testing
