#include "metrics/registry.h"

#include <algorithm>
#include <stdexcept>

namespace sluice::metrics {
namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
  });
}

bool has_labels(const Labels& have, const Labels& match) {
  return std::all_of(match.begin(), match.end(),
                     [&](const auto& m) { return std::find(have.begin(), have.end(), m) != have.end(); });
}

}  // namespace

Registry::Series& Registry::series(std::string_view name, std::string_view help, Type type, const Labels& labels) {
  if (!valid_name(name)) throw std::logic_error("bad metric name \"" + std::string(name) + "\"");
  std::vector<std::string> names;
  for (const auto& [k, v] : labels) {
    if (!valid_name(k) || k.starts_with("__")) throw std::logic_error("bad label name \"" + k + "\"");
    names.push_back(k);
  }
  auto fam = std::find_if(families_.begin(), families_.end(), [&](const Family& f) { return f.name == name; });
  if (fam == families_.end()) {
    families_.push_back({std::string(name), std::string(help), type, names, {}});
    fam = std::prev(families_.end());
  } else if (fam->type != type || fam->label_names != names) {
    throw std::logic_error("metric " + std::string(name) + " registered again with another type or label names");
  }
  for (auto& s : fam->series)
    if (s.labels == labels) return s;
  if (fam->series.size() >= kMaxSeries)
    throw std::logic_error("metric " + std::string(name) + " has more than " + std::to_string(kMaxSeries) +
                           " label combinations: a label's values are not bounded");
  fam->series.push_back({labels, nullptr, nullptr, nullptr, {}});
  return fam->series.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lk(mu_);
  auto& s = series(name, help, Type::counter, labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lk(mu_);
  auto& s = series(name, help, Type::gauge, labels);
  if (s.read) throw std::logic_error("metric " + std::string(name) + " is a computed gauge");
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, std::span<const double> bounds,
                               const Labels& labels) {
  std::lock_guard lk(mu_);
  auto& s = series(name, help, Type::histogram, labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(bounds);
  else if (!std::equal(bounds.begin(), bounds.end(), s.histogram->bounds().begin(), s.histogram->bounds().end()))
    throw std::logic_error("histogram " + std::string(name) + " registered again with other buckets");
  return *s.histogram;
}

void Registry::gauge_fn(std::string_view name, std::string_view help, const Labels& labels,
                        std::function<double()> read) {
  std::lock_guard lk(mu_);
  auto& s = series(name, help, Type::gauge, labels);
  if (s.gauge) throw std::logic_error("metric " + std::string(name) + " is a set gauge");
  s.read = std::move(read);
}

Snapshot Registry::snapshot() const {
  std::lock_guard lk(mu_);
  Snapshot out;
  out.families.reserve(families_.size());
  for (const auto& f : families_) {
    FamilySnapshot fs{f.name, f.help, f.type, {}};
    for (const auto& s : f.series) {
      SeriesSnapshot ss{s.labels, 0, std::nullopt};
      if (s.counter) ss.value = static_cast<double>(s.counter->value());
      else if (s.gauge) ss.value = s.gauge->value();
      else if (s.read) ss.value = s.read();
      else if (s.histogram) {
        ss.histogram = s.histogram->snapshot();
        ss.value = static_cast<double>(ss.histogram->count);
      }
      fs.series.push_back(std::move(ss));
    }
    out.families.push_back(std::move(fs));
  }
  return out;
}

const FamilySnapshot* Snapshot::family(std::string_view name) const {
  for (const auto& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

double Snapshot::value(std::string_view name, const Labels& labels) const {
  if (const auto* f = family(name))
    for (const auto& s : f->series)
      if (s.labels == labels) return s.value;
  return 0;
}

double Snapshot::sum(std::string_view name, const Labels& match) const {
  double total = 0;
  if (const auto* f = family(name))
    for (const auto& s : f->series)
      if (has_labels(s.labels, match)) total += s.value;
  return total;
}

std::map<std::string, uint64_t> Snapshot::by_label(std::string_view name, std::string_view label,
                                                   const Labels& match) const {
  std::map<std::string, uint64_t> out;
  if (const auto* f = family(name))
    for (const auto& s : f->series) {
      if (!has_labels(s.labels, match) || s.value == 0) continue;
      for (const auto& [k, v] : s.labels)
        if (k == label) out[v] += static_cast<uint64_t>(s.value);
    }
  return out;
}

const HistogramSnapshot* Snapshot::histogram(std::string_view name, const Labels& labels) const {
  if (const auto* f = family(name))
    for (const auto& s : f->series)
      if (s.labels == labels && s.histogram) return &*s.histogram;
  return nullptr;
}

}  // namespace sluice::metrics
