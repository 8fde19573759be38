#include "web/dashboard.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "common/clock.h"
#include "common/error.h"
#include "common/json_writer.h"
#include "common/uri.h"
#include "common/version.h"
#include "log/factory/open_log.h"
#include "scheduler/dag_views.h"
#include "scheduler/scheduler.h"
#include "sinks/factory/table_view.h"

namespace sluice::web {
namespace {

using namespace std::chrono_literals;
constexpr size_t kMaxLogChunk = 256 * 1024;

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::up: return "up";
    case Mode::ui: return "ui";
    case Mode::status: return "status";
  }
  return "?";
}

void query_result_json(JsonWriter& w, const sinks::QueryResult& r) {
  w.key("columns").begin_array();
  for (const auto& c : r.columns) w.value(c);
  w.end_array().key("rows").begin_array();
  for (const auto& row : r.rows) {
    w.begin_array();
    for (const auto& cell : row) {
      if (cell) w.value(*cell);
      else w.null();
    }
    w.end_array();
  }
  w.end_array();
}

}  // namespace

Dashboard::Dashboard(const config::Config& cfg, Mode mode, metrics::Registry* registry)
    : cfg_(cfg),
      mode_(mode),
      opt_(pipeline::PipelineOptions::from_config(cfg)),
      own_registry_(registry ? nullptr : std::make_unique<metrics::Registry>()),
      registry_(registry ? registry : own_registry_.get()),
      schema_(table::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns"))),
      dags_(scheduler::load_dags(cfg)),
      meta_path_(cfg.str("scheduler.metadata")),
      logs_dir_(cfg.str("scheduler.logs")),
      history_path_(cfg.str("web.history")),
      source_(cfg.str("source")),
      sink_(redact_uri(cfg.str("sink"))) {
  log_ = log::open_log(log::log_settings(cfg));
  admin_ = log_->admin();
  std::unique_ptr<history::HistoryStore> lag_history;
  if (!history_path_.empty() && mode != Mode::status)
    lag_history = std::make_unique<history::HistoryStore>(history::HistoryStore::open(
        history_path_, false, {.max_batches = static_cast<size_t>(cfg.integer("web.history_batches")),
                               .lag_retention = cfg.duration("web.history_lag")}));
  tracker_ = std::make_unique<LagTracker>(
      log_->admin(),
      LagTracker::Options{.topic = opt_.topic,
                          .own_group = opt_.query.name,
                          .own_start = opt_.consumer.start,
                          .interval = cfg.duration("web.sample_interval")},
      std::move(lag_history), mode == Mode::status ? nullptr : registry_);
}

Dashboard::~Dashboard() { stop_sampling(); }

void Dashboard::start_sampling() {
  tracker_->sample(wall_ms());
  tracker_->start();
  if (books_thread_.joinable() || dags_.empty()) return;
  books_thread_ = std::thread([this] {
    std::unique_lock lk(books_thread_mu_);
    while (!books_stopping_) {
      lk.unlock();
      reconcile_runs();
      lk.lock();
      books_cv_.wait_for(lk, 5s, [&] { return books_stopping_; });
    }
  });
}
void Dashboard::stop_sampling() {
  if (tracker_) tracker_->stop();
  {
    std::lock_guard lk(books_thread_mu_);
    books_stopping_ = true;
  }
  books_cv_.notify_all();
  if (books_thread_.joinable()) books_thread_.join();
}

std::map<int32_t, int64_t> Dashboard::own_committed() {
  std::map<int32_t, int64_t> out;
  auto sample = tracker_->latest();
  if (const GroupLag* own = sample ? sample->group(opt_.query.name) : nullptr)
    for (const auto& p : own->lag.partitions)
      if (p.committed) out[p.partition] = *p.committed;
  return out;
}

std::optional<RunRange> Dashboard::run_range(scheduler::MetaStore& m, const scheduler::DagRun& r) {
  // A run's range is known once its produce task succeeded, and never changes then.
  if (auto it = ranges_.find({r.dag_id, r.run_id}); it != ranges_.end()) return it->second;
  const scheduler::DagSpec* d = nullptr;
  for (const auto& x : dags_)
    if (x.id == r.dag_id) d = &x;
  if (!d) return std::nullopt;
  std::optional<RunRange> out;
  for (const auto& ti : m.tasks(r.dag_id, r.run_id)) {
    const auto* spec = d->task(ti.task_id);
    if (!spec || spec->kind != scheduler::TaskKind::produce || ti.state != scheduler::TiState::success) continue;
    auto line = scheduler::Scheduler::summary_line(
        scheduler::Scheduler::log_path(logs_dir_, {r.dag_id, r.run_id, ti.task_id}, ti.try_number));
    auto range = parse_produce_summary(line);
    if (!range) continue;
    if (!out) {
      out = std::move(range);
      continue;
    }
    // Two produce tasks in one run: the span of both, their counts added.
    for (const auto& [p, o] : range->offsets) {
      auto [it, fresh] = out->offsets.try_emplace(p, o);
      if (!fresh) it->second = {std::min(it->second.first, o.first), std::max(it->second.second, o.second)};
    }
    out->produced += range->produced;
    out->dead_lettered_at_source += range->dead_lettered_at_source;
  }
  if (out && (r.state == scheduler::RunState::success || r.state == scheduler::RunState::failed)) {
    if (ranges_.size() >= 1000) ranges_.clear();
    ranges_[{r.dag_id, r.run_id}] = *out;
  }
  return out;
}

std::optional<RunBooks> Dashboard::final_books(const std::string& dag, const std::string& run) {
  {
    std::lock_guard lk(books_mu_);
    if (auto it = books_.find({dag, run}); it != books_.end()) return it->second;
  }
  auto text = with_history([&](history::HistoryStore* h) { return h ? h->run_books(dag, run) : std::nullopt; });
  return text ? RunBooks::from_json(*text) : std::nullopt;
}

void Dashboard::reconcile_runs() {
  std::vector<std::tuple<std::string, std::string, RunRange>> todo;
  try {
    with_meta([&](scheduler::MetaStore* m) {
      if (!m) return 0;
      for (const auto& r : m->runs("", 10))
        if (!final_books(r.dag_id, r.run_id))
          if (auto range = run_range(*m, r)) todo.emplace_back(r.dag_id, r.run_id, std::move(*range));
      return 0;
    });
    auto committed = own_committed();
    // `sluice status` counts at most two runs a call (a server counts them all, every
    // few seconds); what it counts it keeps in the history like a server, so the next
    // call finds them there.
    int budget = mode_ == Mode::status ? 2 : static_cast<int>(todo.size());
    for (auto& item : todo) {
      // Named references, not structured bindings: the lambda below captures them.
      const std::string& dag = std::get<0>(item);
      const std::string& run = std::get<1>(item);
      const RunRange& range = std::get<2>(item);
      auto books = open_books(range, committed);
      if (books.consumed < books.in_range || budget-- <= 0) continue;
      count_books(books, range,
                  {.cfg = cfg_,
                   .schema = schema_,
                   .log = *log_,
                   .topic = opt_.topic,
                   .dead_letter_topic = opt_.dead_letter_topic,
                   .max_value_bytes = opt_.query.max_value_bytes});
      if (!books.final) continue;
      {
        std::lock_guard lk(books_mu_);
        books_[{dag, run}] = books;
      }
      JsonWriter w;
      books.to_json(w);
      if (mode_ != Mode::status) {
        with_history([&](history::HistoryStore* h) {
          if (h) h->put_run_books(dag, run, w.take(), wall_ms());
          return 0;
        });
      } else if (!history_path_.empty()) {  // its own store is read-only
        history::HistoryStore::open(history_path_).put_run_books(dag, run, w.take(), wall_ms());
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard lk(books_mu_);
    if (books_error_ != e.what()) spdlog::warn("counting the scheduler runs' books: {}", e.what());
    books_error_ = e.what();
  }
}
void Dashboard::sample_once() { tracker_->sample(wall_ms()); }

template <typename F>
auto Dashboard::with_meta(F&& fn) -> decltype(fn(std::declval<scheduler::MetaStore*>())) {
  std::lock_guard lk(meta_mu_);
  if (!meta_ && std::filesystem::exists(meta_path_)) meta_.emplace(scheduler::MetaStore::open(meta_path_, true));
  return fn(meta_ ? &*meta_ : nullptr);
}

template <typename F>
auto Dashboard::with_history(F&& fn) -> decltype(fn(std::declval<history::HistoryStore*>())) {
  std::lock_guard lk(history_mu_);
  if (!history_ && !history_path_.empty() && std::filesystem::exists(history_path_))
    history_.emplace(history::HistoryStore::open(history_path_, mode_ == Mode::status));
  return fn(history_ ? &*history_ : nullptr);
}

const scheduler::DagSpec& Dashboard::find_dag(const std::string& id) const {
  for (const auto& d : dags_)
    if (d.id == id) return d;
  throw ApiError(404, "no DAG " + id + " in the config");
}

int64_t Dashboard::table_rows_cached() {
  std::lock_guard lk(rows_mu_);
  auto now = std::chrono::steady_clock::now();
  if (rows_ < 0 || now - rows_at_ > 2s) {
    try {
      rows_ = sinks::count_rows(cfg_, schema_);
    } catch (const std::exception&) {
      rows_ = -1;  // no table yet
    }
    rows_at_ = now;
  }
  return rows_;
}

std::string Dashboard::overview() {
  std::lock_guard lk(overview_mu_);
  auto now = std::chrono::steady_clock::now();
  if (overview_.empty() || now - overview_at_ >= 500ms || mode_ == Mode::status) {
    overview_ = compute_overview();
    overview_at_ = now;
  }
  return overview_;
}

std::string Dashboard::compute_overview() {
  JsonWriter w;
  int64_t now = wall_ms();
  auto sample = tracker_->latest();
  w.begin_object().field("time_ms", now).field("version", kVersion).field("mode", mode_name(mode_));
  w.field("pipeline", cfg_.str("pipeline"));
  w.key("source").begin_object().field("describe", source_).end_object();
  w.key("log").begin_object().field("describe", log_->describe()).end_object();

  int64_t records = 0, bytes = 0, ends = 0;
  w.key("topic").begin_object().field("name", opt_.topic);
  if (sample && sample->error.empty()) {
    for (const auto& p : sample->topic.partitions) {
      records += p.end_offset - p.start_offset;
      bytes += p.bytes;
      ends += p.end_offset;
    }
    w.field("partitions", static_cast<int64_t>(sample->topic.partitions.size()));
  } else {
    w.field("partitions", 0);
    if (sample) w.field("error", sample->error);
  }
  w.field("records", records).field("bytes", bytes).field("end_offsets", ends).field("rate", sample ? sample->rate : 0.0, 1);
  w.end_object();

  // The query's totals across restarts, from the history (or the live registry).
  history::QueryTotals t;
  std::vector<stream::BatchProgress> recent;
  bool have_history = with_history([&](history::HistoryStore* h) {
    if (!h) return false;
    t = h->totals(opt_.query.name);
    recent = h->batches(opt_.query.name, now - 10'000, 200);
    return true;
  });
  if (!have_history) {
    auto snap = registry_->snapshot();
    t.batches = snap.count("sluice_query_batches_total");
    t.input_rows = snap.count("sluice_query_records_total");
    t.written_rows = snap.count("sluice_query_rows_written_total");
    t.skipped = snap.count("sluice_query_skipped_total");
    t.dead_lettered = static_cast<uint64_t>(snap.sum("sluice_query_dead_letters_total"));
  }
  double input_rate = 0, process_rate = 0;
  if (!recent.empty()) {
    uint64_t rows = 0;
    double busy_ms = 0;
    for (const auto& b : recent) rows += b.input_rows, busy_ms += b.total_ms;
    double span_ms = static_cast<double>(now - recent.front().timestamp_ms);
    input_rate = span_ms > 0 ? static_cast<double>(rows) * 1000.0 / span_ms : 0;
    process_rate = busy_ms > 0 ? static_cast<double>(rows) * 1000.0 / busy_ms : 0;
  }
  w.key("query").begin_object().field("name", opt_.query.name).field("group", opt_.query.name);
  w.field("trigger", cfg_.str("stream.trigger"));
  w.field("batches", t.batches).field("input_rows", t.input_rows).field("rows_written", t.written_rows);
  w.field("dead_lettered", t.dead_lettered).field("skipped", t.skipped);
  w.field("input_rate", input_rate, 1).field("process_rate", process_rate, 1);
  w.key("last_batch");
  if (!recent.empty()) w.raw(recent.back().to_json(opt_.query.name));
  else w.null();
  w.end_object();

  const GroupLag* own = sample ? sample->group(opt_.query.name) : nullptr;
  int64_t committed = 0;
  if (own)
    for (const auto& p : own->lag.partitions) committed += p.committed.value_or(p.start_offset);
  w.key("lag").begin_object().field("records", own ? own->lag.total : 0).field("seconds", own ? own->max_seconds : 0.0, 3);
  w.end_object();
  int64_t rows = table_rows_cached();
  w.key("table").begin_object().field("name", schema_.table()).field("describe", sink_).key("rows");
  if (rows >= 0) w.value(rows);
  else w.null();
  w.end_object();
  int64_t dlq = 0;
  {
    std::lock_guard lk(admin_mu_);
    try {
      if (admin_->topic_exists(opt_.dead_letter_topic))
        for (const auto& p : admin_->describe_topic(opt_.dead_letter_topic).partitions) dlq += p.end_offset - p.start_offset;
    } catch (const std::exception&) {
    }
  }
  w.key("dead_letters").begin_object().field("topic", opt_.dead_letter_topic).field("records", dlq).end_object();
  // The whole pipeline's books: what the topic took, what the group committed, and what
  // the query made of what it read (rows written + dead-lettered + skipped).
  w.key("reconciliation").begin_object();
  w.field("appended", ends).field("committed", committed).field("lag", own ? own->lag.total : 0);
  w.field("read", t.input_rows).field("written", t.written_rows).field("dead_lettered", t.dead_lettered);
  w.field("skipped", t.skipped);
  w.field("balanced", t.input_rows == t.written_rows + t.dead_lettered + t.skipped);
  w.end_object();

  w.key("runs").begin_array();
  with_meta([&](scheduler::MetaStore* m) {
    if (!m) return 0;
    auto committed = own_committed();
    auto maybe = [&](const char* k, int64_t v) {
      w.key(k);
      if (v >= 0) w.value(v);
      else w.null();
    };
    for (const auto& r : m->runs("", 10)) {
      int64_t produced = -1, stream_written = -1;
      for (const auto& ti : m->tasks(r.dag_id, r.run_id)) {
        if (ti.records_produced >= 0) produced = std::max<int64_t>(produced, 0) + ti.records_produced;
        if (ti.records_written >= 0) stream_written = std::max<int64_t>(stream_written, 0) + ti.records_written;
      }
      // The run's books: final ones once counted, else how far the query got.
      std::optional<RunBooks> books = final_books(r.dag_id, r.run_id);
      if (!books)
        if (auto range = run_range(*m, r)) books = open_books(*range, committed);
      w.begin_object().field("dag_id", r.dag_id).field("run_id", r.run_id).field("state", scheduler::to_string(r.state));
      w.field("logical_ms", r.logical_ms).field("start_ms", r.start_ms).field("end_ms", r.end_ms);
      maybe("produced", books ? books->produced : produced);
      maybe("consumed", books ? books->consumed : -1);
      maybe("written", books ? books->written : -1);
      maybe("dead_lettered", books ? books->dead_lettered : -1);
      maybe("missing", books ? books->missing : -1);
      w.key("reconciled");
      if (auto ok = books ? books->reconciled() : std::nullopt) w.value(*ok);
      else w.null();
      maybe("stream_task_written", stream_written);
      w.key("books");
      if (books) books->to_json(w);
      else w.null();
      w.end_object();
    }
    return 0;
  });
  w.end_array();
  w.end_object();
  return w.take();
}

std::string Dashboard::progress(int64_t since_ms, size_t limit) {
  JsonWriter w;
  w.begin_object().field("name", opt_.query.name).key("batches").begin_array();
  with_history([&](history::HistoryStore* h) {
    if (!h) return 0;
    for (const auto& b : h->batches(opt_.query.name, since_ms, std::clamp<size_t>(limit, 1, 100'000)))
      w.raw(b.to_json(opt_.query.name));
    return 0;
  });
  w.end_array().end_object();
  return w.take();
}

std::string Dashboard::topics(const std::string& only) {
  std::vector<log::TopicDescription> list;
  {
    std::lock_guard lk(admin_mu_);
    if (!only.empty()) {
      if (!admin_->topic_exists(only)) throw ApiError(404, "no topic " + only + " in " + log_->describe());
      list.push_back(admin_->describe_topic(only));
    } else {
      for (const auto& name : admin_->list_topics()) list.push_back(admin_->describe_topic(name));
    }
  }
  auto sample = tracker_->latest();
  JsonWriter w;
  if (only.empty()) w.begin_array();
  for (const auto& t : list) {
    int64_t records = 0, bytes = 0;
    w.begin_object().field("name", t.name).field("replication_factor", t.replication_factor).key("partitions").begin_array();
    for (const auto& p : t.partitions) {
      records += p.end_offset - p.start_offset;
      bytes += p.bytes;
      w.begin_object()
          .field("partition", p.partition)
          .field("start_offset", p.start_offset)
          .field("end_offset", p.end_offset)
          .field("records", p.end_offset - p.start_offset)
          .field("bytes", p.bytes)
          .end_object();
    }
    w.end_array().field("records", records).field("bytes", bytes);
    w.key("rate");
    if (sample && t.name == opt_.topic) w.value(sample->rate, 1);
    else w.null();
    w.end_object();
  }
  if (only.empty()) w.end_array();
  return w.take();
}

std::string Dashboard::messages(const std::string& topic, const MessageQuery& q, bool jsonl) {
  MessagePage page;
  {
    std::lock_guard lk(admin_mu_);
    if (!admin_->topic_exists(topic)) throw ApiError(404, "no topic " + topic + " in " + log_->describe());
  }
  try {
    std::unique_ptr<log::Admin> admin = log_->admin();  // this request's own
    page = read_messages(*log_, *admin, topic, q);
  } catch (const UsageError& e) {
    throw ApiError(400, e.what());
  }
  std::string out;
  if (jsonl) {
    for (const auto& m : page.messages) {
      JsonWriter w;
      message_json(w, m);
      out += w.str();
      out += '\n';
    }
    return out;
  }
  JsonWriter w;
  w.begin_object().key("messages").begin_array();
  for (const auto& m : page.messages) message_json(w, m);
  w.end_array().field("scanned", page.scanned).field("truncated", page.truncated).end_object();
  return w.take();
}

std::string Dashboard::groups(const std::string& topic_in) {
  const std::string topic = topic_in.empty() ? opt_.topic : topic_in;
  std::vector<GroupLag> groups;
  if (topic == opt_.topic) {
    if (auto s = tracker_->latest()) groups = s->groups;
  } else {
    std::lock_guard lk(admin_mu_);
    if (!admin_->topic_exists(topic)) throw ApiError(404, "no topic " + topic);
    auto desc = admin_->describe_topic(topic);
    for (const auto& g : admin_->group_offsets(topic))
      groups.push_back({g.group, log::consumer_lag(desc, g.committed, log::StartFrom::earliest), {}, 0});
  }
  JsonWriter w;
  w.begin_array();
  for (const auto& g : groups) {
    w.begin_object().field("group", g.group).field("topic", topic);
    w.key("lag").begin_object().field("records", g.lag.total).field("seconds", g.max_seconds, 3).end_object();
    w.key("partitions").begin_array();
    for (const auto& p : g.lag.partitions) {
      w.begin_object().field("partition", p.partition).key("committed");
      if (p.committed) w.value(*p.committed);
      else w.null();
      w.field("start_offset", p.start_offset).field("end_offset", p.end_offset).field("lag", p.lag);
      auto it = g.seconds.find(p.partition);
      w.key("lag_seconds");
      if (it != g.seconds.end()) w.value(it->second, 3);
      else w.null();
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
  return w.take();
}

std::string Dashboard::lag_history(const std::string& group, const std::string& topic_in, int64_t since_ms) {
  const std::string topic = topic_in.empty() ? opt_.topic : topic_in;
  JsonWriter w;
  w.begin_object().field("group", group).field("topic", topic).key("samples").begin_array();
  with_history([&](history::HistoryStore* h) {
    if (!h) return 0;
    auto rows = h->lag(group, topic, since_ms);
    // Rows come by time, then partition: one sample per time.
    for (size_t i = 0; i < rows.size();) {
      int64_t t = rows[i].time_ms, records = 0;
      double seconds = 0;
      JsonWriter parts;
      parts.begin_object();
      for (; i < rows.size() && rows[i].time_ms == t; ++i) {
        records += rows[i].lag;
        seconds = std::max(seconds, rows[i].lag_seconds);
        parts.field(std::to_string(rows[i].partition), rows[i].lag);
      }
      parts.end_object();
      w.begin_object().field("time_ms", t).field("records", records).field("seconds", seconds, 3);
      w.key("partitions").raw(parts.str()).end_object();
    }
    return 0;
  });
  w.end_array().end_object();
  return w.take();
}

std::string Dashboard::dags() {
  JsonWriter w;
  int64_t now = wall_ms();
  w.begin_array();
  with_meta([&](scheduler::MetaStore* m) {
    for (const auto& d : dags_) scheduler::dag_json(w, d, m, now, 5);
    return 0;
  });
  w.end_array();
  return w.take();
}

std::string Dashboard::runs(const std::string& dag, int limit) {
  const auto& d = find_dag(dag);
  JsonWriter w;
  w.begin_object().field("dag_id", d.id).key("tasks").begin_array();
  for (const auto& t : d.tasks) w.value(t.id);
  w.end_array().key("runs").begin_array();
  with_meta([&](scheduler::MetaStore* m) {
    if (!m) return 0;
    for (const auto& r : m->runs(d.id, std::clamp(limit, 1, 1000))) scheduler::run_json(w, r, m->tasks(d.id, r.run_id));
    return 0;
  });
  w.end_array().end_object();
  return w.take();
}

std::string Dashboard::trigger(const std::string& dag, const std::string& conf) {
  const auto& d = find_dag(dag);
  // A writer of its own for this one insert: the shared store is read-only.
  auto store = scheduler::MetaStore::open(meta_path_);
  auto r = scheduler::insert_manual_run(store, d, conf.empty() ? "{}" : conf, wall_ms());
  bool woke = scheduler::wake_scheduler(meta_path_);
  JsonWriter w;
  w.begin_object().field("dag_id", d.id).field("run_id", r.run_id).field("scheduler_running", woke);
  w.field("paused", store.dag(d.id)->paused).end_object();
  return w.take();
}

std::string Dashboard::set_paused(const std::string& dag, bool paused) {
  const auto& d = find_dag(dag);
  auto store = scheduler::MetaStore::open(meta_path_);
  store.ensure_dag(d.id, d.paused_at_start);
  store.set_paused(d.id, paused);
  scheduler::wake_scheduler(meta_path_);
  JsonWriter w;
  w.begin_object().field("dag_id", d.id).field("paused", paused).end_object();
  return w.take();
}

std::string Dashboard::task_log(const std::string& dag, const std::string& run, const std::string& task, int try_number,
                                int64_t offset) {
  const auto& d = find_dag(dag);
  if (std::none_of(d.tasks.begin(), d.tasks.end(), [&](const auto& t) { return t.id == task; }))
    throw ApiError(404, "DAG " + dag + " has no task " + task);
  // The run must be in the store: its id then names a directory the scheduler made.
  auto ti = with_meta([&](scheduler::MetaStore* m) -> std::optional<scheduler::TaskInstance> {
    if (!m || !m->run(d.id, run)) return std::nullopt;
    for (auto& t : m->tasks(d.id, run))
      if (t.task_id == task) return t;
    return std::nullopt;
  });
  if (!ti) throw ApiError(404, "no task instance " + task + " in run " + run + " of " + dag);
  int n = try_number > 0 ? try_number : ti->try_number;
  auto path = scheduler::Scheduler::log_path(logs_dir_, {d.id, run, task}, n);
  std::string text;
  int64_t size = 0;
  if (std::ifstream in(path, std::ios::binary); in) {
    in.seekg(0, std::ios::end);
    size = static_cast<int64_t>(in.tellg());
    int64_t from = std::clamp<int64_t>(offset, 0, size);
    int64_t len = std::min<int64_t>(size - from, static_cast<int64_t>(kMaxLogChunk));
    text.resize(static_cast<size_t>(len));
    in.seekg(from);
    in.read(text.data(), len);
    size = from + len;
  }
  bool running = ti->try_number == n && (ti->state == scheduler::TiState::running || ti->state == scheduler::TiState::queued);
  JsonWriter w;
  w.begin_object().field("try", n).field("offset", std::max<int64_t>(offset, 0)).field("next_offset", size);
  w.field("text", valid_utf8(text) ? text : std::string("(log holds bytes that are not UTF-8)"));
  w.field("running", running).field("state", scheduler::to_string(ti->state)).end_object();
  return w.take();
}

std::string Dashboard::table() {
  JsonWriter w;
  w.begin_object().field("name", schema_.table()).field("describe", sink_).key("rows");
  auto rows = table_rows_cached();
  if (rows >= 0) w.value(rows);
  else w.null();
  w.key("columns").begin_array();
  for (const auto& c : schema_.columns())
    w.begin_object()
        .field("name", c.name)
        .field("type", table::type_name(c.type))
        .field("primary_key", c.primary_key)
        .field("required", c.required)
        .end_object();
  w.end_array().end_object();
  return w.take();
}

std::string Dashboard::rows(int limit) {
  JsonWriter w;
  w.begin_object();
  try {
    query_result_json(w, sinks::latest_rows(cfg_, schema_, std::clamp(limit, 1, 1000)));
  } catch (const UsageError& e) {
    throw ApiError(404, e.what());
  }
  w.end_object();
  return w.take();
}

std::string Dashboard::lookup(const std::string& key) {
  JsonWriter w;
  w.begin_object();
  try {
    query_result_json(w, sinks::lookup_row(cfg_, schema_, key));
  } catch (const UsageError& e) {
    throw ApiError(400, e.what());
  }
  w.end_object();
  return w.take();
}

std::string Dashboard::dead_letters(size_t limit, const std::string& kind) {
  const auto& topic = opt_.dead_letter_topic;
  JsonWriter w;
  w.begin_object().field("topic", topic);
  std::vector<DeadLetterView> letters;
  std::map<std::string, uint64_t> by_kind;
  int64_t records = 0;
  bool truncated = false;
  {
    std::unique_ptr<log::Admin> admin = log_->admin();
    if (admin->topic_exists(topic)) {
      for (const auto& p : admin->describe_topic(topic).partitions) records += p.end_offset - p.start_offset;
      MessageQuery q;
      q.mode = MessageQuery::Mode::newest;
      q.limit = 1'000'000;
      q.keep = [](const log::Message&) { return true; };  // filtered: scan the whole budget
      auto page = read_messages(*log_, *admin, topic, q);
      truncated = page.truncated;
      auto done = with_history([&](history::HistoryStore* h) {
        return h ? h->redriven(topic) : std::set<std::pair<int32_t, int64_t>>{};
      });
      for (auto& m : page.messages) {
        auto v = view_of(std::move(m));
        ++by_kind[v.kind];
        if (!kind.empty() && v.kind != kind) continue;
        v.redriven = done.count({v.record.partition, v.record.offset}) > 0;
        if (letters.size() < limit) letters.push_back(std::move(v));
      }
    }
  }
  w.field("records", records).field("truncated", truncated).key("by_kind").begin_object();
  for (const auto& [k, n] : by_kind) w.field(k, n);
  w.end_object().key("letters").begin_array();
  for (const auto& v : letters) dead_letter_json(w, v);
  w.end_array().end_object();
  return w.take();
}

std::string Dashboard::redrive_letters(const RedriveRequest& req) {
  std::lock_guard lk(redrive_mu_);
  RedriveResult r;
  try {
    std::unique_ptr<log::Admin> admin = log_->admin();
    if (!admin->topic_exists(opt_.dead_letter_topic)) throw ApiError(404, "no dead-letter topic " + opt_.dead_letter_topic);
    // A writer of its own: the shared history handle is for reads.
    std::optional<history::HistoryStore> h;
    if (!history_path_.empty()) h.emplace(history::HistoryStore::open(history_path_));
    r = redrive(*log_, *admin, opt_.dead_letter_topic, opt_.topic, req, h ? &*h : nullptr);
  } catch (const UsageError& e) {
    throw ApiError(400, e.what());
  }
  JsonWriter w;
  w.begin_object().field("redriven", r.redriven).field("already", r.already).field("missing", r.missing);
  w.field("target", r.target).end_object();
  return w.take();
}

int64_t Dashboard::runs_version() {
  return with_meta([&](scheduler::MetaStore* m) -> int64_t {
    if (!m) return 0;
    size_t h = 0;
    auto mix = [&](std::string_view s) { h = h * 1'000'003 ^ std::hash<std::string_view>{}(s); };
    for (const auto& r : m->runs("", 20)) {
      mix(r.run_id);
      mix(scheduler::to_string(r.state));
      for (const auto& t : m->tasks(r.dag_id, r.run_id)) {
        mix(scheduler::to_string(t.state));
        mix(std::to_string(t.try_number));
      }
    }
    return static_cast<int64_t>(h & 0x7fffffffffffffff);
  });
}

std::string Dashboard::metrics_text() {
  auto& r = *registry_;
  r.gauge("sluice_build_info", "sluice's version (the value is always 1).", {{"version", kVersion}}).set(1);
  with_meta([&](scheduler::MetaStore* m) {
    for (const auto& d : dags_) {  // no metadata yet: every state at 0
      std::map<std::string_view, int> n;
      if (m)
        for (const auto& run : m->runs(d.id, 1000)) ++n[scheduler::to_string(run.state)];
      for (auto s : {scheduler::RunState::queued, scheduler::RunState::running, scheduler::RunState::success,
                     scheduler::RunState::failed, scheduler::RunState::skipped}) {
        auto name = scheduler::to_string(s);
        r.gauge("sluice_scheduler_runs", "DAG runs per state (the latest 1000 of each DAG).",
                {{"dag", d.id}, {"state", std::string(name)}})
            .set(n[name]);
      }
    }
    return 0;
  });
  return metrics::prometheus_text(r.snapshot());
}

std::string Dashboard::not_ready() {
  std::string why;
  try {
    std::lock_guard lk(admin_mu_);
    admin_->list_topics();
  } catch (const std::exception& e) {
    why += "log: " + std::string(e.what());
  }
  try {
    sinks::count_rows(cfg_, schema_);
  } catch (const std::exception& e) {
    if (!why.empty()) why += "; ";
    why += "sink: " + std::string(e.what());
  }
  return why;
}

}  // namespace sluice::web
