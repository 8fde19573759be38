#pragma once
// The table of every configuration key sluice knows: its path, type, default and
// description. One table serves three purposes: validating the YAML file and the
// overrides, filling in defaults, and documenting the keys (`sluice config keys`).
//
// Paths are dotted (`http.batch_size`). In YAML they are nested maps; as environment
// variables they are `SLUICE_` + the path upper-cased with `.` joined as `__`
// (`SLUICE_HTTP__BATCH_SIZE`); as flags, `--set http.batch_size=1000`.
//
// Open sections accept keys the table does not list:
// - `kafka`: librdkafka properties, passed through unchanged (`kafka.linger.ms`).
// - `mapping.fields`: output field name -> template (order kept: it is the JSON order).
// - `schema.columns`: column name -> type spec (order kept: it is the table's order).
//
// Named sections: a path segment written `<name>` in the table (`dags.<dag>.schedule`)
// stands for any name of letters, digits, `_` and `-` the file gives it (`dags.user_automation.schedule`).
// Each name present gets every key of its templates, with their defaults; names keep
// their file order (Config::names).
#include <cstdint>
#include <span>
#include <string_view>

namespace sluice::config {

enum class KeyType {
  string,
  integer,    // int64, within [min, max]
  number,     // double, within [min, max]
  boolean,    // true/false (also yes/no, on/off as YAML 1.1 has them)
  duration,   // "100ms", "10s", "5m"; see common/units.h
  bytes,      // "64MiB", "4096"; -1 for unlimited where allowed (min = -1)
  choice,     // one of `choices`
  list,       // a YAML list of text values (`[a, b]`); as a flag or variable, the same flow list
};

struct KeySpec {
  std::string_view path;
  KeyType type;
  std::string_view default_value;
  std::string_view description;
  std::span<const std::string_view> choices = {};  // for KeyType::choice
  double min = -1e300;
  double max = 1e300;
};

struct OpenSection {
  std::string_view path;
  std::string_view description;
};

std::span<const KeySpec> known_keys();
std::span<const OpenSection> open_sections();
// The key for `path`: an exact entry, or a template whose `<name>` segments match.
const KeySpec* find_key(std::string_view path);
// True if `path` matches `pattern` segment by segment (`<name>` segments match any name).
bool path_matches(std::string_view pattern, std::string_view path);
// A valid name for a `<name>` segment.
bool valid_name(std::string_view segment);
// The open section `path` belongs to (its path is a proper prefix), or nullptr.
const OpenSection* find_open_section(std::string_view path);

}  // namespace sluice::config
