#pragma once
// A pipeline's configuration: the YAML file, then `SLUICE_*` environment variables,
// then flags, each overriding the one before, checked against the key table
// (config_keys.h). Every problem is reported at once, naming the key and where its
// value came from (file and line, variable or flag); the caller exits with code 2
// before anything is written.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::config {

struct Override {
  std::string path;    // dotted key path
  std::string value;
  std::string origin;  // shown in errors: "--log", "--set http.retries=3"
};

struct LoadOptions {
  std::string file = "config/user_automation.yaml";
  bool file_explicit = false;        // --config given: a missing file is an error either way
  std::vector<Override> flags;       // highest precedence
  char** environ = nullptr;          // scanned for SLUICE_*; nullptr: none
};

class Config {
 public:
  // Throws UsageError listing every problem found.
  static Config load(const LoadOptions& options);
  // Same, from YAML text (tests; `name` is used in messages).
  static Config parse(std::string_view yaml, std::string_view name, const std::vector<Override>& flags = {},
                      char** environ = nullptr);

  // Typed reads of known keys (validated at load, so these do not fail).
  const std::string& str(std::string_view path) const;
  int64_t integer(std::string_view path) const;
  double number(std::string_view path) const;
  bool boolean(std::string_view path) const;
  std::chrono::milliseconds duration(std::string_view path) const;
  int64_t bytes(std::string_view path) const;
  // A choice key as an enum: `names` pairs each of the key table's choices with its
  // value. A value the pairs do not name is a mismatch between the table and the
  // caller (std::logic_error), never a silent fallback to a default.
  template <typename E>
  E choice(std::string_view path, std::initializer_list<std::pair<std::string_view, E>> names) const {
    const auto& v = str(path);
    for (const auto& [name, e] : names)
      if (name == v) return e;
    throw std::logic_error("config key " + std::string(path) + ": no enum value for choice \"" + v + "\"");
  }
  // Entries of an open section, in file order (overrides of new keys come last).
  std::vector<std::pair<std::string, std::string>> section(std::string_view path) const;
  // A list key's items.
  std::vector<std::string> list(std::string_view path) const;
  // The names of a named section (`dags`: the DAG ids; `dags.x.tasks`: its task ids),
  // in file order.
  std::vector<std::string> names(std::string_view path) const;
  // True if the key has a value (a default included).
  bool has(std::string_view path) const;
  // Every key with its value (lists joined by ","), in path order (`sluice config check`).
  std::vector<std::pair<std::string, std::string>> entries() const;
  // Where a key's value came from: "config/user_automation.yaml:12", "SLUICE_LOG",
  // "--log", or "default".
  std::string origin(std::string_view path) const;
  const std::string& file() const { return file_; }

  // Convenience: the dead-letter topic (`dead_letter_topic`, else `<topic>.dlq`).
  std::string dead_letter_topic() const;

 private:
  struct Entry {
    std::string value;
    std::string origin;
    size_t order = 0;  // insertion order, for open sections
  };
  const Entry& entry(std::string_view path) const;

  std::string file_;
  std::map<std::string, Entry, std::less<>> values_;
  size_t next_order_ = 0;

  friend class ConfigBuilder;
};

// Env var name of a key path: http.batch_size -> SLUICE_HTTP__BATCH_SIZE.
std::string env_name(std::string_view path);

}  // namespace sluice::config
