// BuiltinSource (builtin_source.h): the Source over a UserGenerator. Owns the seed, the
// record quota and stop flag, the stats, and the response envelope around the users
// (`{"results":[...],"info":{...}}`); the users are user_generator.cpp's, their JSON
// user_json.cpp's, project() projection.cpp's.
#include "sources/builtin/builtin_source.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/random.h>

#include <algorithm>

#include "sources/builtin/nationalities.h"
#include "sources/builtin/projection.h"
#include "sources/builtin/put.h"
#include "sources/builtin/rng.h"
#include "sources/builtin/user.h"
#include "sources/builtin/user_generator.h"

namespace sluice::sources {

struct BuiltinSource::Impl {
  explicit Impl(const std::vector<std::string>& nationalities) : generator(nationalities) {}
  builtin::UserGenerator generator;
  builtin::Rng rng{0};  // shared by next_batch() and the projection (only one is used)
  std::string seed_text;
  builtin::User scratch;  // next_batch()'s
};

BuiltinSource::BuiltinSource(BuiltinSourceOptions o, metrics::Registry* registry)
    : max_records_(o.max_records), metrics_(registry) {
  seed_ = o.seed;
  if (seed_ == 0 && getrandom(&seed_, sizeof seed_, 0) != static_cast<ssize_t>(sizeof seed_)) seed_ = 0x5eed;
  if (seed_ == 0) seed_ = 1;
  impl_ = std::make_unique<Impl>(o.nationalities);  // throws UsageError for an unknown code
  impl_->rng.s = seed_;
  impl_->seed_text = fmt::format("{:016x}", seed_);
}

BuiltinSource::~BuiltinSource() = default;

uint32_t BuiltinSource::take(uint32_t n) {
  if (stopped_.load()) return 0;
  n = std::clamp<uint32_t>(n, 1, 5000);
  if (max_records_ > 0) {
    uint64_t done = metrics_.records();  // this source's, not the registry's total
    if (done >= max_records_) return 0;
    n = static_cast<uint32_t>(std::min<uint64_t>(n, max_records_ - done));
  }
  return n;
}

void BuiltinSource::count(uint32_t n, size_t bytes) {
  ++page_;
  metrics_.request();  // generated on request: every response asked for is handed out
  metrics_.response(n, bytes);
}

bool BuiltinSource::next_batch(uint32_t n, SourceBatch& out) {
  n = take(n);
  if (n == 0) return false;
  std::string& body = out.body;
  body.clear();
  size_t want = static_cast<size_t>(n) * 1400 + 256 + simdjson::SIMDJSON_PADDING;
  if (body.capacity() < want) body.reserve(want);
  body += R"({"results":[)";
  for (uint32_t i = 0; i < n; ++i) {
    if (i) body.push_back(',');
    impl_->generator.generate(impl_->scratch, builtin::kAllLeaves, impl_->rng);
    builtin::write_json(impl_->scratch, body);
  }
  char num[24];
  body += R"(],"info":{"seed":")";
  body += impl_->seed_text;
  body += R"(","results":)";
  body.append(num, builtin::put_int(num, n));
  body += R"(,"page":)";
  body.append(num, builtin::put_int(num, static_cast<int64_t>(page_ + 1)));
  body += R"(,"version":"1.4"}})";
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  out.results = n;
  count(n, body.size());
  return true;
}

std::unique_ptr<Projection> BuiltinSource::project(const std::vector<std::vector<std::string>>& paths) {
  return std::make_unique<builtin::UserProjection>(*this, impl_->generator, impl_->rng, paths);
}

SourceStats BuiltinSource::stats() const { return metrics_.stats(); }

std::string BuiltinSource::describe() const { return fmt::format("builtin generator (seed {})", seed_); }

std::vector<std::string> BuiltinSource::known_nationalities() {
  std::vector<std::string> out;
  for (const auto& n : builtin::nationalities()) out.emplace_back(n.code);
  return out;
}

}  // namespace sluice::sources
