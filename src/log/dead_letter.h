#pragma once
// Dead letters: the one set of headers that every record sent to the dead-letter topic
// carries, whichever stage turned it away (the produce task's mapping, the query's
// parser, the sink). The record's value is the original bytes; its key, if it had one,
// is kept.
//
//   error.kind        a BadRecord kind (common/bad_record.h): missing_field, invalid_json, ...
//   error.reason      the detail for a person: "missing field location.street.number"
//   error.stage       map | parse | sink
//   data.source       the data source the produce task read it from (map stage only),
//                     e.g. "builtin generator (seed 42)"
//   source.topic, source.partition, source.offset, source.timestamp
//                     the topic record it was (parse and sink stages only)
#include <string_view>
#include <vector>

#include "common/bad_record.h"
#include "log/log.h"

namespace sluice::log {

struct DeadLetter {
  BadRecord kind = BadRecord::invalid_json;
  BadRecordStage stage = BadRecordStage::parse;
  std::string_view reason;
  std::string_view data_source = {};  // map stage: the data source
  const Message* from = nullptr;      // parse and sink stages: the topic record
};

std::vector<Header> dead_letter_headers(const DeadLetter& d);

}  // namespace sluice::log
