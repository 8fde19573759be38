#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/units.h"
#include "config/config_keys.h"

namespace sluice::config {
namespace {

// SLUICE_* variables that are not config keys (read elsewhere), so not "unknown".
constexpr std::string_view kReservedEnv[] = {"SLUICE_LOG_LEVEL"};

// Follows the error of the first environment variable that names no key: such a variable
// is usually meant for another program (a script's SLUICE_KAFKA_PORT, say), set by
// someone who did not know that sluice reads them all.
constexpr std::string_view kUnknownEnvHint =
    "; sluice reads every SLUICE_* variable as a config override (SLUICE_<KEY>, nested keys joined by __; "
    "`sluice config keys` lists them), so unset one meant for another program";

// A list value is stored as its items joined by this byte (no YAML text holds it).
constexpr char kListSeparator = '\x1f';

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? std::string(1, kListSeparator) : std::string()) + items[i];
  return out;
}

// A list given as text (a variable or a flag): a YAML flow list `[a, "b c"]`, or one item.
std::string list_from_text(const std::string& text, std::string& problem) {
  if (text.empty()) return {};
  try {
    YAML::Node n = YAML::Load(text);
    if (n.IsSequence()) {
      std::vector<std::string> items;
      for (const auto& item : n) {
        if (!item.IsScalar()) {
          problem = "expected a list of text values such as [a, b], got \"" + text + "\"";
          return {};
        }
        items.push_back(item.Scalar());
      }
      return join_list(items);
    }
  } catch (const YAML::Exception&) {
    problem = "expected a list such as [a, b], got \"" + text + "\"";
    return {};
  }
  return text;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// A key's path with its `<name>` segments replaced by the segments of `path` at the same
// places (dags.<dag>.schedule against dags.daily.shedule: dags.daily.schedule).
std::string instantiate(std::string_view pattern, std::string_view path) {
  std::string out;
  while (!pattern.empty()) {
    auto pd = pattern.find('.'), d = path.find('.');
    auto pseg = pattern.substr(0, pd);
    bool wild = pseg.size() > 2 && pseg.front() == '<';
    out += wild && !path.empty() ? path.substr(0, d) : pseg;
    if (pd == std::string_view::npos) break;
    out += '.';
    pattern.remove_prefix(pd + 1);
    path = d == std::string_view::npos ? std::string_view() : path.substr(d + 1);
  }
  return out;
}

std::string suggestion(std::string_view path) {
  std::string best;
  size_t best_d = 4;
  for (const auto& k : known_keys()) {
    std::string candidate = instantiate(k.path, path);
    size_t d = edit_distance(path, candidate);
    if (d < best_d) best_d = d, best = candidate;
  }
  if (best.empty()) {
    // A misspelt leaf under a right section: compare the last component.
    auto dot = path.rfind('.');
    std::string_view leaf = dot == std::string_view::npos ? path : path.substr(dot + 1);
    for (const auto& k : known_keys()) {
      auto kd = k.path.rfind('.');
      std::string_view kleaf = kd == std::string_view::npos ? k.path : k.path.substr(kd + 1);
      size_t d = edit_distance(leaf, kleaf);
      if (d < best_d && d <= 2) best_d = d, best = k.path;
    }
  }
  return best.empty() ? std::string() : " (did you mean \"" + best + "\"?)";
}

size_t segments(std::string_view p) { return p.empty() ? 0 : 1 + static_cast<size_t>(std::count(p.begin(), p.end(), '.')); }

// The first `n` segments of a dotted path.
std::string_view first_segments(std::string_view p, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    pos = p.find('.', pos);
    if (pos == std::string_view::npos) return p;
    if (i + 1 < n) ++pos;
  }
  return p.substr(0, pos);
}

// True if some known key or open section lives below `path` (so it is a section).
bool is_section(std::string_view path) {
  auto below = [&](std::string_view p) {
    size_t n = segments(path);
    return segments(p) > n && path_matches(first_segments(p, n), path);
  };
  for (const auto& k : known_keys())
    if (below(k.path)) return true;
  for (const auto& s : open_sections())
    if (s.path == path || below(s.path)) return true;
  return false;
}

bool parse_bool(std::string_view v, bool& out) {
  std::string l = lower(v);
  if (l == "true" || l == "yes" || l == "on") return out = true, true;
  if (l == "false" || l == "no" || l == "off") return out = false, true;
  return false;
}

bool parse_int(std::string_view v, int64_t& out) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() && !v.empty();
}

bool parse_double(std::string_view v, double& out) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() && !v.empty();
}

std::string range_text(const KeySpec& k) {
  std::ostringstream s;
  if (k.min > -1e299 && k.max < 1e299) s << " from " << static_cast<int64_t>(k.min) << " to " << static_cast<int64_t>(k.max);
  else if (k.min > -1e299) s << " of at least " << static_cast<int64_t>(k.min);
  return s.str();
}

// Checks `value` against the key's type; returns an error text, empty if fine.
std::string check_value(const KeySpec& k, const std::string& value) {
  auto got = " got \"" + value + "\"";
  switch (k.type) {
    case KeyType::string:
    case KeyType::list:
      return {};
    case KeyType::integer: {
      int64_t n;
      if (!parse_int(value, n) || static_cast<double>(n) < k.min || static_cast<double>(n) > k.max)
        return "expected an integer" + range_text(k) + "," + got;
      return {};
    }
    case KeyType::number: {
      double d;
      if (!parse_double(value, d) || d < k.min || d > k.max) return "expected a number" + range_text(k) + "," + got;
      return {};
    }
    case KeyType::boolean: {
      bool b;
      if (!parse_bool(value, b)) return "expected true or false," + got;
      return {};
    }
    case KeyType::duration:
      if (!parse_duration(value)) return "expected a duration such as 500ms, 10s, 5m, 2h or 7d," + got;
      return {};
    case KeyType::bytes: {
      auto b = parse_bytes(value);
      if (!b || static_cast<double>(*b) < k.min || static_cast<double>(*b) > k.max)
        return "expected a size such as 4096, 64KiB or 64MiB" + range_text(k) + "," + got;
      return {};
    }
    case KeyType::choice: {
      for (auto c : k.choices)
        if (c == value) return {};
      std::string list;
      for (auto c : k.choices) list += (list.empty() ? "" : ", ") + std::string(c);
      return "expected one of " + list + "," + got;
    }
  }
  return {};
}

}  // namespace

// Collects values and errors while loading; turns into a Config at the end.
class ConfigBuilder {
 public:
  explicit ConfigBuilder(std::string file) { cfg_.file_ = std::move(file); }

  void set(const std::string& path, std::string value, std::string origin) {
    auto& e = cfg_.values_[path];
    if (e.origin.empty() || e.origin == "default") e.order = cfg_.next_order_++;
    e.value = std::move(value);
    e.origin = std::move(origin);
  }

  void error(const std::string& text) { errors_.push_back(text); }

  // Records a value for `path` from `origin`, or an error if the key is unknown (followed
  // by `unknown_hint`). Returns false only for an unknown key.
  bool assign(const std::string& path, std::string value, const std::string& origin, const std::string& where,
              std::string_view unknown_hint = {}, bool list_as_text = false) {
    if (const KeySpec* k = find_key(path); k && k->type == KeyType::list && list_as_text) {
      std::string problem;
      value = list_from_text(value, problem);
      if (!problem.empty()) {
        error(where + ": " + path + ": " + problem);
        return true;
      }
    }
    if (find_key(path) || find_open_section(path)) {
      set(path, std::move(value), origin);
      return true;
    }
    if (is_section(path)) {
      error(where + ": \"" + path + "\" is a section, not a value; set one of its keys");
      return true;
    }
    error(where + ": unknown key \"" + path + "\"" + suggestion(path) + std::string(unknown_hint));
    return false;
  }

  void walk_yaml(const YAML::Node& node, const std::string& prefix) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary pair, references would dangle.
      const YAML::Node keynode = it->first;
      const YAML::Node val = it->second;
      std::string where = cfg_.file_ + ":" + std::to_string(keynode.Mark().line + 1);
      if (!keynode.IsScalar()) {
        error(where + ": keys must be plain names");
        continue;
      }
      std::string key = keynode.Scalar();
      std::string path = prefix.empty() ? key : prefix + "." + key;
      if (key.empty() || key.find('.') != std::string::npos) {
        if (!find_open_section(path)) {
          error(where + ": key \"" + path + "\" must be a plain name (nest maps instead of dots)");
          continue;
        }
      }
      const OpenSection* open = find_open_section(path);
      if (val.IsMap()) {
        if (open) {
          error(where + ": " + path + ": expected a text value, got a map");
        } else if (is_section(path)) {
          walk_yaml(val, path);
        } else if (find_key(path)) {
          error(where + ": " + path + ": expected a " + type_name(*find_key(path)) + " value, got a map");
        } else {
          error(where + ": unknown section \"" + path + "\"" + suggestion(path));
        }
        continue;
      }
      if (val.IsSequence()) {
        const KeySpec* k = find_key(path);
        if (!k || k->type != KeyType::list) {
          error(where + ": " + path + ": lists are not accepted here");
          continue;
        }
        std::vector<std::string> items;
        bool ok = true;
        for (const auto& item : val) {
          if (!item.IsScalar()) {
            error(where + ": " + path + ": expected a list of text values");
            ok = false;
            break;
          }
          items.push_back(item.Scalar());
        }
        if (ok) assign(path, join_list(items), where, where);
        continue;
      }
      if (val.IsNull() && !find_key(path) && is_section(path)) continue;  // an empty section
      std::string value = val.IsNull() ? std::string() : val.Scalar();
      if (val.IsNull() && find_key(path) && find_key(path)->type != KeyType::string) {
        error(where + ": " + path + ": no value given");
        continue;
      }
      assign(path, std::move(value), where, where);
    }
  }

  static std::string type_name(const KeySpec& k) {
    switch (k.type) {
      case KeyType::string: return "text";
      case KeyType::integer: return "integer";
      case KeyType::number: return "number";
      case KeyType::boolean: return "boolean";
      case KeyType::duration: return "duration";
      case KeyType::bytes: return "size";
      case KeyType::choice: return "choice";
      case KeyType::list: return "list";
    }
    return "value";
  }

  void load_yaml(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      error(cfg_.file_ + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
      return;
    }
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      error(cfg_.file_ + ": the file must be a YAML map of keys");
      return;
    }
    walk_yaml(root, "");
  }

  void load_env(char** env) {
    if (!env) return;
    bool hinted = false;  // kUnknownEnvHint said once per load, not after every variable
    for (char** e = env; *e; ++e) {
      std::string_view kv(*e);
      if (!kv.starts_with("SLUICE_")) continue;
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string name(kv.substr(0, eq));
      if (std::find(std::begin(kReservedEnv), std::end(kReservedEnv), name) != std::end(kReservedEnv)) continue;
      std::string path = lower(name.substr(7));
      for (size_t p; (p = path.find("__")) != std::string::npos;) path.replace(p, 2, ".");
      if (!assign(path, std::string(kv.substr(eq + 1)), name, "environment variable " + name,
                  hinted ? std::string_view() : kUnknownEnvHint, true))
        hinted = true;
    }
  }

  void load_flags(const std::vector<Override>& flags) {
    for (const auto& f : flags) assign(f.path, f.value, f.origin, "flag " + f.origin, {}, true);
  }

  // The concrete paths a template key stands for: one per name the values give its
  // `<name>` segments (dags.<dag>.schedule: dags.user_automation.schedule, ...).
  std::vector<std::string> instances(const KeySpec& k) const {
    std::string_view owner = k.path.substr(0, k.path.rfind('.'));
    std::string_view leaf = k.path.substr(k.path.rfind('.') + 1);
    size_t n = segments(owner);
    std::vector<std::string> out;
    for (const auto& [path, e] : cfg_.values_) {
      if (segments(path) <= n) continue;
      std::string_view prefix = first_segments(path, n);
      if (!path_matches(owner, prefix)) continue;
      std::string concrete = std::string(prefix) + "." + std::string(leaf);
      if (out.empty() || out.back() != concrete)
        if (std::find(out.begin(), out.end(), concrete) == out.end()) out.push_back(concrete);
    }
    return out;
  }

  Config finish() {
    for (const auto& k : known_keys()) {
      if (k.path.find('<') != std::string_view::npos) {
        for (const auto& path : instances(k)) {
          auto it = cfg_.values_.find(path);
          if (it == cfg_.values_.end()) {
            set(path, std::string(k.default_value), "default");
            continue;
          }
          std::string problem = check_value(k, it->second.value);
          if (!problem.empty()) error(it->second.origin + ": " + path + ": " + problem);
        }
        continue;
      }
      auto it = cfg_.values_.find(k.path);
      if (it == cfg_.values_.end()) {
        set(std::string(k.path), std::string(k.default_value), "default");
        continue;
      }
      std::string problem = check_value(k, it->second.value);
      if (!problem.empty()) error(it->second.origin + ": " + std::string(k.path) + ": " + problem);
    }
    if (!errors_.empty()) {
      std::string msg = errors_.size() == 1 ? "invalid configuration: " : "invalid configuration (" +
                                                                              std::to_string(errors_.size()) + " problems):";
      if (errors_.size() == 1) msg += errors_[0];
      else
        for (const auto& e : errors_) msg += "\n  " + e;
      throw UsageError(msg);
    }
    return std::move(cfg_);
  }

 private:
  Config cfg_;
  std::vector<std::string> errors_;
};

Config Config::parse(std::string_view yaml, std::string_view name, const std::vector<Override>& flags, char** env) {
  ConfigBuilder b{std::string(name)};
  b.load_yaml(yaml);
  b.load_env(env);
  b.load_flags(flags);
  return b.finish();
}

Config Config::load(const LoadOptions& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    std::string why = errno ? std::strerror(errno) : "cannot open";
    throw UsageError("cannot read config file " + o.file + ": " + why +
                     (o.file_explicit ? "" : " (run sluice from its checkout, or pass --config FILE)"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), o.file, o.flags, o.environ);
}

const Config::Entry& Config::entry(std::string_view path) const {
  auto it = values_.find(path);
  if (it == values_.end()) throw std::logic_error("config key not in the table: " + std::string(path));
  return it->second;
}

const std::string& Config::str(std::string_view path) const { return entry(path).value; }

int64_t Config::integer(std::string_view path) const {
  int64_t n = 0;
  parse_int(entry(path).value, n);
  return n;
}

double Config::number(std::string_view path) const {
  double d = 0;
  parse_double(entry(path).value, d);
  return d;
}

bool Config::boolean(std::string_view path) const {
  bool b = false;
  parse_bool(entry(path).value, b);
  return b;
}

std::chrono::milliseconds Config::duration(std::string_view path) const {
  return parse_duration(entry(path).value).value_or(std::chrono::milliseconds(0));
}

int64_t Config::bytes(std::string_view path) const { return parse_bytes(entry(path).value).value_or(0); }

std::vector<std::pair<std::string, std::string>> Config::section(std::string_view path) const {
  std::vector<std::tuple<size_t, std::string, std::string>> found;
  std::string prefix = std::string(path) + ".";
  for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.starts_with(prefix); ++it)
    found.emplace_back(it->second.order, it->first.substr(prefix.size()), it->second.value);
  std::sort(found.begin(), found.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [order, k, v] : found) out.emplace_back(std::move(k), std::move(v));
  return out;
}

std::vector<std::string> Config::list(std::string_view path) const {
  const auto& v = entry(path).value;
  std::vector<std::string> out;
  if (v.empty()) return out;
  size_t start = 0;
  while (true) {
    auto sep = v.find(kListSeparator, start);
    out.push_back(v.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return out;
}

std::vector<std::string> Config::names(std::string_view path) const {
  std::vector<std::pair<size_t, std::string>> found;
  std::string prefix = std::string(path) + ".";
  for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.starts_with(prefix); ++it) {
    std::string rest = it->first.substr(prefix.size());
    std::string name = rest.substr(0, rest.find('.'));
    auto f = std::find_if(found.begin(), found.end(), [&](const auto& p) { return p.second == name; });
    if (f == found.end()) found.emplace_back(it->second.order, name);
    else f->first = std::min(f->first, it->second.order);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [order, name] : found) out.push_back(std::move(name));
  return out;
}

bool Config::has(std::string_view path) const { return values_.find(path) != values_.end(); }

std::vector<std::pair<std::string, std::string>> Config::entries() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [path, e] : values_) {
    std::string v = e.value;
    std::replace(v.begin(), v.end(), kListSeparator, ',');
    out.emplace_back(path, std::move(v));
  }
  return out;
}

std::string Config::origin(std::string_view path) const {
  auto it = values_.find(path);
  return it == values_.end() ? "default" : it->second.origin;
}

std::string Config::dead_letter_topic() const {
  const auto& d = str("dead_letter_topic");
  return d.empty() ? str("topic") + ".dlq" : d;
}

std::string env_name(std::string_view path) {
  std::string out = "SLUICE_";
  for (char c : path) {
    if (c == '.') out += "__";
    else out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace sluice::config
