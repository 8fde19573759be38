// Produce-path benchmarks (issue: mapping >= 1,000,000 records/s on one core;
// builtin -> map -> embedded log >= 500,000 records/s with the default fsync policy).
//
//   build/bench/produce_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Figures are records/s (items_per_second) and MB/s of mapped JSON (bytes_per_second).
#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>

#include "log/factory/open_log.h"
#include "mapping/mapper.h"
#include "produce/produce_job.h"
#include "sources/builtin/builtin_source.h"

namespace {

using namespace sluice;

mapping::Mapping seed_mapping() {
  // The fields of config/user_automation.yaml (the seed's format_data).
  return mapping::Mapping::compile(
      {{"id", "{uuid4()}"},
       {"first_name", "{name.first}"},
       {"last_name", "{name.last}"},
       {"gender", "{gender}"},
       {"address", "{location.street.number} {location.street.name}, {location.city}, {location.state}, {location.country}"},
       {"post_code", "{location.postcode}"},
       {"email", "{email}"},
       {"username", "{login.username}"},
       {"dob", "{dob.date}"},
       {"registered_date", "{registered.date}"},
       {"phone", "{phone}"},
       {"picture", "{picture.medium}"}},
      "id");
}

struct Count : mapping::RecordHandler {
  uint64_t records = 0, bytes = 0;
  void on_record(bool, std::string_view, std::string_view v) override {
    ++records;
    bytes += v.size();
  }
  void on_error(std::string_view, std::string_view) override {}
};

// Mapping alone: API responses of 500 users (generated beforehand) -> 12-field JSON.
void BM_Map(benchmark::State& state) {
  sources::BuiltinSourceOptions o;
  o.seed = 1;
  sources::BuiltinSource src(o);
  std::vector<sources::SourceBatch> bodies(40);
  for (auto& b : bodies) src.next_batch(500, b);
  auto mapping = seed_mapping();
  mapping::Mapper mapper(mapping);
  Count c;
  for (auto _ : state)
    for (auto& b : bodies) mapper.map_response(b.body, c);
  state.SetItemsProcessed(static_cast<int64_t>(c.records));
  state.SetBytesProcessed(static_cast<int64_t>(c.bytes));
}
BENCHMARK(BM_Map)->Unit(benchmark::kMillisecond);

// The builtin generator alone: responses of 500 users.
void BM_Generate(benchmark::State& state) {
  sources::BuiltinSourceOptions o;
  o.seed = 1;
  sources::BuiltinSource src(o);
  sources::SourceBatch b;
  uint64_t records = 0, bytes = 0;
  for (auto _ : state) {
    src.next_batch(500, b);
    records += b.results;
    bytes += b.body.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Generate)->Unit(benchmark::kMicrosecond);

// The whole produce task: builtin -> map -> embedded log (3 partitions, fsync every
// 100 ms), 1,000,000 records per run into a fresh directory under build/.
void BM_ProduceEmbedded(benchmark::State& state) {
  auto mapping = seed_mapping();
  namespace fs = std::filesystem;
  fs::path dir = fs::current_path() / ("bench-log-" + std::to_string(::getpid()));
  uint64_t records = 0, bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir);
    log::LogSettings s;
    s.uri = "file:" + dir.string();
    auto log = log::open_log(s);
    log->admin()->create_topic("user_created", 3, 1);
    auto producer = log->producer();
    sources::BuiltinSourceOptions so;
    so.seed = 1;
    sources::BuiltinSource src(so);
    produce::ProduceOptions o;
    o.duration = std::chrono::milliseconds(0);
    o.max_records = static_cast<uint64_t>(state.range(0));
    produce::ProduceJob job(src, mapping, *producer, *producer, o);
    state.ResumeTiming();
    auto stats = job.run();
    records += stats.produced;
    bytes += stats.bytes;
  }
  fs::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ProduceEmbedded)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
