#include "web/reconciler.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <set>
#include <vector>

#include "log/read_ranges.h"
#include "sinks/factory/table_view.h"
#include "stream/row_parser.h"
#include "table/row_text.h"
#include "web/dead_letters.h"

namespace sluice::web {
namespace {

constexpr log::ReadLimits kReadLimits{.deadline = std::chrono::minutes(2), .stall = std::chrono::minutes(2)};  // per range, and the DLQ
constexpr size_t kKeyChunk = 5000;                       // keys looked up together

// A row's primary key as the table readers print it (UUIDs canonical), or nullopt for a
// type they do not look up.
std::optional<std::string> key_text(const table::Value& v) {
  using K = table::Value::Kind;
  bool looked_up = v.kind == K::uuid || v.kind == K::text || v.kind == K::integer;
  return looked_up ? table::canonical(v) : std::nullopt;
}

}  // namespace

int64_t RunRange::records() const {
  int64_t n = 0;
  for (const auto& [p, r] : offsets) n += std::max<int64_t>(0, r.second - r.first);
  return n;
}

std::optional<RunRange> parse_produce_summary(std::string_view json_line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json_line.data(), json_line.size()).get(doc)) return std::nullopt;
  simdjson::dom::object offsets;
  if (doc["offsets"].get(offsets)) return std::nullopt;
  RunRange r;
  for (auto [key, value] : offsets) {
    simdjson::dom::array pair;
    int64_t first = 0, end = 0;
    if (value.get(pair) || pair.size() != 2 || pair.at(0).get(first) || pair.at(1).get(end)) return std::nullopt;
    r.offsets[static_cast<int32_t>(std::strtol(std::string(key).c_str(), nullptr, 10))] = {first, end};
  }
  if (r.offsets.empty()) return std::nullopt;
  int64_t n = 0;
  if (!doc["produced"].get(n)) r.produced = n;
  if (!doc["dead_lettered"].get(n)) r.dead_lettered_at_source = n;
  return r;
}

std::optional<bool> RunBooks::reconciled() const {
  if (!final) return std::nullopt;
  return missing == 0 && consumed == in_range && written + dead_lettered == in_range;
}

void RunBooks::to_json(JsonWriter& w) const {
  auto maybe = [&](const char* k, int64_t v) {
    w.key(k);
    if (v >= 0) w.value(v);
    else w.null();
  };
  w.begin_object().field("produced", produced).field("in_range", in_range).field("others", others());
  w.field("consumed", consumed);
  maybe("written", written);
  maybe("dead_lettered", dead_lettered);
  maybe("missing", missing);
  w.field("dead_lettered_at_source", dead_lettered_at_source).field("final", final);
  w.key("reconciled");
  if (auto r = reconciled()) w.value(*r);
  else w.null();
  w.field("note", note).end_object();
}

std::optional<RunBooks> RunBooks::from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc)) return std::nullopt;
  RunBooks b;
  auto num = [&](const char* k, int64_t& out) {
    int64_t v = 0;
    if (!doc[k].get(v)) out = v;
  };
  num("produced", b.produced);
  num("in_range", b.in_range);
  num("consumed", b.consumed);
  num("written", b.written);
  num("dead_lettered", b.dead_lettered);
  num("missing", b.missing);
  num("dead_lettered_at_source", b.dead_lettered_at_source);
  bool f = false;
  if (!doc["final"].get(f)) b.final = f;
  std::string_view note;
  if (!doc["note"].get(note)) b.note = std::string(note);
  return b;
}

RunBooks open_books(const RunRange& range, const std::map<int32_t, int64_t>& committed) {
  RunBooks b;
  b.produced = range.produced;
  b.dead_lettered_at_source = range.dead_lettered_at_source;
  b.in_range = range.records();
  for (const auto& [p, r] : range.offsets) {
    auto it = committed.find(p);
    if (it != committed.end()) b.consumed += std::clamp<int64_t>(it->second - r.first, 0, r.second - r.first);
  }
  if (b.consumed < b.in_range)
    b.note = fmt::format("{} of the run's {} records not consumed yet", b.in_range - b.consumed, b.in_range);
  return b;
}

void count_books(RunBooks& b, const RunRange& range, const CountInputs& in) {
  if (b.consumed < b.in_range) return;  // open_books said why
  if (b.in_range > kMaxRangeRecords) {
    b.note = fmt::format("{} records: more than the {} counted here", b.in_range, kMaxRangeRecords);
    return;
  }
  auto admin = in.log.admin();
  for (const auto& p : admin->describe_topic(in.topic).partitions) {
    auto it = range.offsets.find(p.partition);
    if (it != range.offsets.end() && p.start_offset > it->second.first) {
      b.note = fmt::format("partition {}: records from offset {} deleted by retention before they were counted",
                           p.partition, it->second.first);
      return;
    }
  }

  // The dead letters whose origin lies in the range.
  std::set<std::pair<int32_t, int64_t>> lettered;
  if (admin->topic_exists(in.dead_letter_topic)) {
    std::map<int32_t, std::pair<int64_t, int64_t>> all;
    int64_t letters = 0;
    for (const auto& p : admin->describe_topic(in.dead_letter_topic).partitions) {
      all[p.partition] = {p.start_offset, p.end_offset};
      letters += p.end_offset - p.start_offset;
    }
    if (letters > kMaxLetters) {
      b.note = fmt::format("{} dead letters: more than the {} counted here", letters, kMaxLetters);
      return;
    }
    bool read = log::read_ranges(in.log, in.dead_letter_topic, all, [&](log::Message& m) {
      auto v = view_of(std::move(m));
      if (!v.origin_tp || v.origin_tp->topic != in.topic) return;
      auto it = range.offsets.find(v.origin_tp->partition);
      if (it != range.offsets.end() && v.origin_offset >= it->second.first && v.origin_offset < it->second.second)
        lettered.insert({v.origin_tp->partition, v.origin_offset});
    }, kReadLimits);
    if (!read) {
      b.note = "the dead-letter topic could not be read in time";
      return;
    }
  }

  // Every record of the range: its key in the table, else a letter of it, else missing.
  stream::RowParser parser(in.schema, in.max_value_bytes);
  stream::Arena arena;
  table::Row row;
  auto pk = static_cast<size_t>(in.schema.primary_key());
  int64_t written = 0, dead = 0, missing = 0;
  std::vector<std::string> keys;
  std::vector<std::pair<int32_t, int64_t>> at;  // keys[i]'s record
  auto settle = [&] {
    auto present = sinks::present_keys(in.cfg, in.schema, keys);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (present.contains(keys[i])) ++written;
      else if (lettered.contains(at[i])) ++dead;
      else ++missing;
    }
    keys.clear();
    at.clear();
    arena.reset();
  };
  bool unkeyed = false;
  bool read = log::read_ranges(in.log, in.topic, range.offsets, [&](log::Message& m) {
    std::optional<std::string> key;
    if (parser.parse(m.value, row, arena).ok() && pk < row.values.size()) {
      key = key_text(row.values[pk]);
      unkeyed = unkeyed || !key;
    }
    if (key) {
      keys.push_back(std::move(*key));
      at.emplace_back(m.partition, m.offset);
      if (keys.size() >= kKeyChunk) settle();
    } else if (lettered.contains({m.partition, m.offset})) {
      ++dead;
    } else {
      ++missing;
    }
  }, kReadLimits);
  if (!read) {
    b.note = "the run's records could not be read in time";
    return;
  }
  if (unkeyed) {
    b.note = "the table's primary key is of a type the books do not look up";
    return;
  }
  settle();
  b.written = written;
  b.dead_lettered = dead;
  b.missing = missing;
  b.final = true;
  b.note = missing ? fmt::format("{} records are neither in the table nor in {}", missing, in.dead_letter_topic)
           : b.others()
               ? fmt::format("{} records in the run's offsets came from another producer (a redrive?)", b.others())
               : "";
}

}  // namespace sluice::web
