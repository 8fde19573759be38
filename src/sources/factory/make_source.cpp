#include "sources/factory/make_source.h"

#include "common/error.h"
#include "sources/builtin/builtin_source.h"
#include "sources/http/http_source.h"

namespace sluice::sources {
namespace {

bool is_http(const std::string& s) { return s.starts_with("http://") || s.starts_with("https://"); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::unique_ptr<Source> make_source(const config::Config& cfg, std::optional<uint64_t> seed,
                                    metrics::Registry* registry) {
  const std::string& s = cfg.str("source");
  if (s == "builtin") {
    BuiltinSourceOptions o;
    o.seed = seed ? *seed : static_cast<uint64_t>(cfg.integer("builtin.seed"));
    o.nationalities = split_list(cfg.str("builtin.nationalities"));
    return std::make_unique<BuiltinSource>(o, registry);
  }
  if (is_http(s)) {
    HttpSourceOptions o;
    o.url = s;
    o.connect_timeout = cfg.duration("http.connect_timeout");
    o.read_timeout = cfg.duration("http.read_timeout");
    o.request_timeout = cfg.duration("http.request_timeout");
    o.backoff_initial = cfg.duration("http.backoff");
    o.backoff_max = cfg.duration("http.max_backoff");
    o.max_retries = static_cast<int>(cfg.integer("http.retries"));
    o.rate_limit = cfg.number("http.rate_limit");
    o.gzip = cfg.boolean("http.gzip");
    return std::make_unique<HttpSource>(o, registry);
  }
  throw UsageError(cfg.origin("source") + ": source: expected `builtin` or an http(s) URL such as "
                   "https://randomuser.me/api/, got \"" + s + "\"");
}

uint32_t source_batch_size(const config::Config& cfg) {
  return static_cast<uint32_t>(cfg.integer(is_http(cfg.str("source")) ? "http.batch_size" : "builtin.batch_size"));
}

}  // namespace sluice::sources
