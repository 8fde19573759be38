#pragma once
// The text of a data-loss report, shared by both backends so that they say it in the
// same words: a consumer group's committed offset that the log no longer holds
// (records deleted by retention, or the topic recreated). The backend decides what
// follows (throw DataLossError, or warn and go on); this only words it.
//
// Threading: a pure function; any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::log {

struct DataLoss {
  std::string_view group;
  std::string_view topic;
  int32_t partition = 0;
  int64_t committed = 0;   // the group's committed offset, outside [held_start, held_end]
  int64_t held_start = 0;  // the offsets still held
  int64_t held_end = 0;
  std::string_view held_by = "log";  // who holds them: "log" (embedded) or "broker" (Kafka)
  // Where reading goes on; nullopt: "the earliest offset held" (Kafka: librdkafka
  // picks it on the broker's answer).
  std::optional<int64_t> resume_at;
};

// fail: the message of the DataLossError, which names the setting that goes on instead.
// warn: the warning when stream.fail_on_data_loss is false.
enum class OnDataLoss { fail, warn };

std::string data_loss_message(const DataLoss& loss, OnDataLoss action);

}  // namespace sluice::log
