#pragma once
// What the CLI prints about a pipeline's work: the summaries (for people, and as one
// JSON object for machines, built with JsonWriter so every string is escaped) and the
// live progress line. Every figure comes from the stage's stats, which are read from
// the pipeline's metrics registry.
#include <string>

#include "pipeline/pipeline.h"

namespace sluice::cli {

std::string produce_summary_json(const produce::ProduceStats& s, const pipeline::PipelineOptions& o,
                                 const std::string& source_kind);
std::string query_summary_json(const stream::QuerySummary& s);
std::string run_summary_json(const pipeline::RunSummary& r);

std::string produce_progress_text(const produce::ProduceStats& s, const produce::ProduceOptions& o);
std::string query_progress_text(const stream::QuerySummary& s, const stream::BatchProgress* last);

// One live line on stderr, redrawn in place, when stderr is a terminal and the line
// is wanted (not under --json); otherwise it prints nothing.
class ProgressLine {
 public:
  explicit ProgressLine(bool wanted);
  void show(const std::string& text);
  void clear();
  bool active() const { return active_; }

 private:
  bool active_;
  bool shown_ = false;
};

}  // namespace sluice::cli
