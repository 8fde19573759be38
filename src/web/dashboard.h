#pragma once
// Everything the dashboard's API answers, as JSON text: one object per pipeline config,
// reading the pipeline's durable stores (the log, the sink's table, the scheduler's
// metadata, the history) so that `sluice up` (in the pipeline's process) and `sluice ui`
// / `sluice status` (in another) answer the same. The HTTP server (server.h) maps paths
// onto these calls; the CLI's `sluice status` prints overview() itself.
//
// Errors a caller can cause (no such DAG, a bad offset) throw ApiError with the HTTP
// status to answer; the stores' failures throw FatalError (503).
//
// Threading: every member is safe from any thread; each store is behind its own lock.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/config.h"
#include "history/history_store.h"
#include "log/log.h"
#include "metrics/registry.h"
#include "pipeline/pipeline_options.h"
#include "scheduler/dag.h"
#include "scheduler/meta_store.h"
#include "table/schema.h"
#include "web/dead_letters.h"
#include "web/lag_tracker.h"
#include "web/message_reader.h"
#include "web/reconciler.h"
#include "web/web_options.h"

namespace sluice::web {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& what) : std::runtime_error(what), status(status) {}
  int status;
};

enum class Mode { up, ui, status };

class Dashboard {
 public:
  // `registry` (optional): the live pipeline's, which /metrics serves and the lag
  // gauges join; without one the dashboard keeps its own.
  Dashboard(const config::Config& cfg, Mode mode, metrics::Registry* registry = nullptr);
  ~Dashboard();

  // Samples lag now, on the calling thread, then every web.sample_interval on a thread
  // of its own (call it before the server starts, so no request finds no sample;
  // `status` takes one sample instead). A second thread counts the scheduler runs'
  // books every few seconds (reconcile_runs).
  void start_sampling();
  void stop_sampling();
  void sample_once();
  // Counts the books (reconciler.h) of the newest runs whose records are all consumed
  // and not counted yet (`status`: two of them at most); final books are kept in the
  // history. On the calling thread.
  void reconcile_runs();

  // The overview, computed at most every 500 ms and shared by every caller meanwhile
  // (each open page's event stream asks each second).
  std::string overview();
  std::string progress(int64_t since_ms, size_t limit);
  std::string topics(const std::string& only = "");
  std::string messages(const std::string& topic, const MessageQuery& q, bool jsonl);
  std::string groups(const std::string& topic);
  std::string lag_history(const std::string& group, const std::string& topic, int64_t since_ms);
  std::string dags();
  std::string runs(const std::string& dag, int limit);
  std::string trigger(const std::string& dag, const std::string& conf_object_json);
  std::string set_paused(const std::string& dag, bool paused);
  std::string task_log(const std::string& dag, const std::string& run, const std::string& task, int try_number,
                       int64_t offset);
  std::string table();
  std::string rows(int limit);
  std::string lookup(const std::string& key);
  std::string dead_letters(size_t limit, const std::string& kind);
  std::string redrive_letters(const RedriveRequest& req);
  // The run-state gauges and sluice_build_info refreshed, then /metrics' text.
  std::string metrics_text();
  // "" when the log and the sink answer, else what does not.
  std::string not_ready();

  metrics::Registry& registry() { return *registry_; }
  const pipeline::PipelineOptions& options() const { return opt_; }
  const std::string& topic() const { return opt_.topic; }
  const std::string& dead_letter_topic() const { return opt_.dead_letter_topic; }
  // A number that changes whenever a DAG run or task instance changes (SSE `runs`).
  int64_t runs_version();

 private:
  template <typename F>
  auto with_meta(F&& fn) -> decltype(fn(std::declval<scheduler::MetaStore*>()));
  template <typename F>
  auto with_history(F&& fn) -> decltype(fn(std::declval<history::HistoryStore*>()));
  const scheduler::DagSpec& find_dag(const std::string& id) const;
  int64_t table_rows_cached();
  std::string compute_overview();
  // The run's produce-task range (from its try's --json summary), if it has one.
  std::optional<RunRange> run_range(scheduler::MetaStore& m, const scheduler::DagRun& r);
  // Final books counted earlier (this process or the history's), if any.
  std::optional<RunBooks> final_books(const std::string& dag, const std::string& run);
  std::map<int32_t, int64_t> own_committed();

  const config::Config cfg_;
  const Mode mode_;
  pipeline::PipelineOptions opt_;
  std::unique_ptr<metrics::Registry> own_registry_;
  metrics::Registry* registry_;
  table::Schema schema_;
  std::vector<scheduler::DagSpec> dags_;
  std::string meta_path_, logs_dir_, history_path_, source_, sink_;

  std::unique_ptr<log::Log> log_;
  std::mutex admin_mu_;
  std::unique_ptr<log::Admin> admin_;
  std::unique_ptr<LagTracker> tracker_;

  std::mutex meta_mu_;
  std::optional<scheduler::MetaStore> meta_;
  std::mutex history_mu_;
  std::optional<history::HistoryStore> history_;
  std::mutex redrive_mu_;  // one redrive at a time

  std::mutex books_mu_;
  std::map<std::pair<std::string, std::string>, RunBooks> books_;  // final, by (dag, run)
  std::string books_error_;                                        // the last one logged
  std::mutex books_thread_mu_;
  std::condition_variable books_cv_;
  bool books_stopping_ = false;
  std::thread books_thread_;

  std::mutex overview_mu_;
  std::string overview_;
  std::chrono::steady_clock::time_point overview_at_{};
  std::map<std::pair<std::string, std::string>, RunRange> ranges_;  // by (dag, run); under meta_mu_

  std::mutex rows_mu_;
  int64_t rows_ = -1;
  std::chrono::steady_clock::time_point rows_at_{};
};

}  // namespace sluice::web
