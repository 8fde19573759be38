#pragma once
// The pipeline, assembled once: the doors onto it (the CLI's produce, stream and run,
// the scheduler's tasks, the web server) drive this object and never wire stages
// themselves.
//
//   Pipeline p(cfg, Role::run, PipelineOptions::from_config(cfg));
//   auto summary = p.run(on_progress);     // or p.produce(...) / p.stream()
//
// Construction opens what the role needs, checking everything a user can get wrong
// before anything is written: the mapping, the source, the schema and the sink URI
// first, then the log (creating the topics), then the sink's table.
//   produce  source -> mapping -> producer (+ dead-letter producer)
//   stream   consumer -> query -> sink (+ dead-letter producer); the topic must exist
//   run      both, in one process; one dead-letter producer shared by the two threads
// The query always gets the log's Admin, so once and available-now know their target
// whichever door started them.
//
// Every stage registers its series in the pipeline's metrics registry, and every
// figure a door prints is read from there.
//
// Threading: produce(), stream() and run() on one thread at a time (each blocks until
// its work ends); stop(), snapshot(), lag(), query_totals() from any thread.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "log/lag.h"
#include "metrics/registry.h"
#include "pipeline/pipeline_options.h"
#include "produce/produce_job.h"
#include "stream/query/progress.h"
#include "stream/query/query.h"

namespace sluice::pipeline {

enum class Role { produce, stream, run };

// Where a pipeline stands.
enum class Phase { ready, producing, streaming, catching_up, stopped };
std::string_view to_string(Phase p);

struct PipelineSnapshot {
  Phase phase = Phase::ready;
  metrics::Snapshot metrics;
};

struct RunSummary {
  produce::ProduceStats produce;
  stream::QuerySummary query;
  log::TopicLag lag;         // the group's lag on what was produced, when the run ended
  bool interrupted = false;  // stop() ended it early
};

class Pipeline {
 public:
  using ProduceProgress = std::function<void(const produce::ProduceStats&)>;

  // Throws UsageError (bad config) or FatalError (the log or the sink refuses).
  // `registry` (optional) must outlive the pipeline; without one it has its own.
  Pipeline(const config::Config& cfg, Role role, PipelineOptions options, metrics::Registry* registry = nullptr);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  const PipelineOptions& options() const;
  metrics::Registry& metrics();
  std::string describe_source() const;  // empty when the role has no source
  std::string describe_log() const;
  std::string describe_sink() const;    // empty when the role has no sink
  const std::string& table() const;     // the sink's table (schema.table)

  // Runs the produce task until its duration or record limit, the source's end, or
  // stop(); `on_progress` is called about twice a second from this thread.
  produce::ProduceStats produce(const ProduceProgress& on_progress = {});
  // Runs the streaming query until its trigger ends it, a failure, or stop().
  stream::QuerySummary stream();
  // The produce task on this thread and the query on another; when the task ends, waits
  // (at most max(60 s, 3 trigger intervals)) until the query committed everything
  // produced, then stops it.
  RunSummary run(const ProduceProgress& on_progress = {});

  // The query's running totals and its recent batches (stream and run).
  stream::QuerySummary query_totals() const;
  const stream::ProgressHistory& history() const;
  // The consumer group's lag on the topic now, from the log (stream and run).
  log::TopicLag lag();
  PipelineSnapshot snapshot() const;

  // Ends the running work soon: the produce task flushes what it has, the query
  // finishes its batch and commits. Safe from any thread (not a signal handler).
  void stop();
  bool stopped() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::pipeline
