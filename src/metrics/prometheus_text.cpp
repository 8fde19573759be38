#include <fmt/format.h>

#include <cmath>

#include "metrics/registry.h"

namespace sluice::metrics {
namespace {

// Label values escape backslash, double quote and newline; help text backslash and newline.
void escape(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
}

void labels_text(std::string& out, const Labels& labels, const char* le = nullptr) {
  if (labels.empty() && !le) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    escape(out, v, true);
    out += '"';
  }
  if (le) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);  // shortest form that reads back exactly
}

}  // namespace

std::string prometheus_text(const Snapshot& snapshot) {
  std::string out;
  for (const auto& f : snapshot.families) {
    out += "# HELP " + f.name + " ";
    escape(out, f.help, false);
    out += "\n# TYPE " + f.name + " ";
    out += f.type == Type::counter ? "counter\n" : f.type == Type::gauge ? "gauge\n" : "histogram\n";
    for (const auto& s : f.series) {
      if (!s.histogram) {
        out += f.name;
        labels_text(out, s.labels);
        out += ' ' + number(s.value) + '\n';
        continue;
      }
      const auto& h = *s.histogram;
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        std::string le = i < h.bounds.size() ? number(h.bounds[i]) : "+Inf";
        out += f.name + "_bucket";
        labels_text(out, s.labels, le.c_str());
        out += ' ' + std::to_string(cumulative) + '\n';
      }
      out += f.name + "_sum";
      labels_text(out, s.labels);
      out += ' ' + number(h.sum) + '\n';
      out += f.name + "_count";
      labels_text(out, s.labels);
      out += ' ' + std::to_string(h.count) + '\n';
    }
  }
  return out;
}

}  // namespace sluice::metrics
