#pragma once
// The builtin source: a generator of randomuser.me API responses (version 1.4), so
// the pipeline runs offline with data shaped like the real thing: every field of the
// API in its order and JSON type, the API's 21 nationalities with their names,
// streets, cities, states, postcode formats (JSON numbers for some countries, strings
// for others), phone formats and national ids, in Latin, Persian and Cyrillic scripts.
//
// Deterministic: the same seed gives byte-identical responses for the same sequence
// of next_batch() calls. Dates and ages are computed against a fixed reference day,
// not the clock. Password hashes (md5/sha1/sha256) are random hex of the right length
// drawn from the same generator: they look like the API's but hash nothing.
//
// Speed: responses are appended field by field into a reused buffer from tables
// escaped once at start-up; about a million users a second on one core. project()
// formats only the fields a mapping reads and writes no JSON at all.
//
// Counting: next_batch() and the projection move the source's series
// (sources/source.h, SourceMetrics) from the thread that calls them; stats() and stop()
// may be called from any thread.
//
// The files of sources/builtin/ and what each owns: README.md there.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sources/source.h"

namespace sluice::sources {

namespace builtin {
class UserProjection;
}

struct BuiltinSourceOptions {
  uint64_t seed = 0;                       // 0: pick one at random (describe() names it)
  std::vector<std::string> nationalities;  // e.g. {"US","IR"}; empty: all 21
  uint64_t max_records = 0;                // 0: unlimited
};

class BuiltinSource : public Source {
 public:
  // Throws UsageError for an unknown nationality code. Counts in `registry`'s
  // sluice_source_* series (null: a registry of its own), which must outlive this.
  explicit BuiltinSource(BuiltinSourceOptions options, metrics::Registry* registry = nullptr);
  ~BuiltinSource() override;

  bool next_batch(uint32_t n, SourceBatch& out) override;
  void stop() override { stopped_ = true; }
  SourceStats stats() const override;
  std::string describe() const override;
  std::unique_ptr<Projection> project(const std::vector<std::vector<std::string>>& paths) override;
  uint64_t seed() const { return seed_; }

  // The codes this generator knows (the API's `nat` values).
  static std::vector<std::string> known_nationalities();

 private:
  friend class builtin::UserProjection;
  // How many of the `n` records asked for may be generated (0: stopped or exhausted).
  uint32_t take(uint32_t n);
  // Counts a response of `n` records and `bytes` bytes handed out.
  void count(uint32_t n, size_t bytes);

  struct Impl;  // the generator, its Rng and next_batch()'s scratch user
  std::unique_ptr<Impl> impl_;
  uint64_t seed_;
  uint64_t max_records_;
  std::atomic<bool> stopped_{false};
  SourceMetrics metrics_;  // moved by the thread calling next_batch() or the projection
  uint64_t page_ = 0;      // responses handed out (that thread's only)
};

}  // namespace sluice::sources
