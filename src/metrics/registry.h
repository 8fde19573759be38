#pragma once
// One Registry per pipeline: every stage creates its series here, by name, help text
// and labels, and the surfaces read a Snapshot of all of them.
//
// Names and labels follow Prometheus conventions: `sluice_<stage>_<what>[_unit]`,
// counters end in `_total`. Labels are bounded: a family's label names are fixed by
// its first registration, their values must come from closed sets (an enum's names,
// a configured topic), and a family holds at most kMaxSeries series — more is a
// programming error (std::logic_error), never an unbounded label.
//
// Registering a series that exists returns the same object, so a stage created again
// in the same pipeline (a scheduled task's second run) goes on counting where the
// first left off, as a Prometheus counter must.
//
// Threading: registration and snapshot() take a lock (rare: at start and per read);
// moving a series takes none (see metrics.h). Series live as long as the registry.
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/metrics.h"

namespace sluice::metrics {

// Label name -> value, in the order given.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { counter, gauge, histogram };

struct SeriesSnapshot {
  Labels labels;
  double value = 0;                          // counter or gauge
  std::optional<HistogramSnapshot> histogram;  // histogram
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  Type type = Type::counter;
  std::vector<SeriesSnapshot> series;
};

// Every series at one moment, families in registration order.
class Snapshot {
 public:
  std::vector<FamilySnapshot> families;

  const FamilySnapshot* family(std::string_view name) const;
  // The value of the series with exactly these labels (0 if absent).
  double value(std::string_view name, const Labels& labels = {}) const;
  uint64_t count(std::string_view name, const Labels& labels = {}) const {
    return static_cast<uint64_t>(value(name, labels));
  }
  // The sum over every series of the family whose labels include `match`.
  double sum(std::string_view name, const Labels& match = {}) const;
  // Per value of label `label`, the sum over the series that have it (and `match`),
  // leaving out zeros.
  std::map<std::string, uint64_t> by_label(std::string_view name, std::string_view label,
                                           const Labels& match = {}) const;
  const HistogramSnapshot* histogram(std::string_view name, const Labels& labels = {}) const;
};

class Registry {
 public:
  static constexpr size_t kMaxSeries = 128;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::span<const double> bounds,
                       const Labels& labels = {});
  // A gauge computed when read (e.g. consumer lag from the log's offsets); `read` runs
  // on the thread that takes the snapshot, under the registry's lock, and must not
  // touch the registry.
  void gauge_fn(std::string_view name, std::string_view help, const Labels& labels, std::function<double()> read);

  Snapshot snapshot() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  struct Family {
    std::string name, help;
    Type type;
    std::vector<std::string> label_names;
    std::deque<Series> series;
  };
  Series& series(std::string_view name, std::string_view help, Type type, const Labels& labels);

  mutable std::mutex mu_;
  std::deque<Family> families_;
};

// The Prometheus text exposition format (version 0.0.4) of a snapshot: # HELP and
// # TYPE per family, histograms as cumulative _bucket{le=...}, _sum and _count.
std::string prometheus_text(const Snapshot& snapshot);

}  // namespace sluice::metrics
