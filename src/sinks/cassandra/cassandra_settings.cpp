#include "sinks/cassandra/cassandra_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "common/error.h"
#include "common/uri.h"

namespace sluice::sinks {
namespace {

constexpr std::string_view kScheme = "cassandra://";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

cql::Endpoint parse_host(std::string_view h, const std::string& shown) {
  cql::Endpoint ep;
  std::string_view port;
  if (h.starts_with('[')) {
    auto close = h.find(']');
    if (close == std::string_view::npos) throw UsageError(fmt::format("sink {}: unclosed [ in host {}", shown, h));
    ep.host = std::string(h.substr(1, close - 1));
    std::string_view rest = h.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) throw UsageError(fmt::format("sink {}: expected :port after {}", shown, h.substr(0, close + 1)));
      port = rest.substr(1);
    }
  } else {
    auto colon = h.find(':');
    ep.host = std::string(h.substr(0, colon));
    if (colon != std::string_view::npos) port = h.substr(colon + 1);
  }
  if (ep.host.empty()) throw UsageError(fmt::format("sink {}: a host is empty", shown));
  if (!port.empty() || h.ends_with(':')) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) throw UsageError(fmt::format("sink {}: bad port \"{}\"", shown, port));
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) throw UsageError(fmt::format("sink {}: bad port \"{}\"", shown, port));
    ep.port = static_cast<uint16_t>(p);
  }
  return ep;
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

std::string CassandraUri::redacted() const {
  std::string s(kScheme);
  if (!user.empty()) s += user + "@";
  for (size_t i = 0; i < hosts.size(); ++i) s += (i ? "," : "") + hosts[i].str();
  return s + "/" + keyspace;
}

CassandraUri parse_cassandra_uri(std::string_view uri) {
  const std::string shown = "\"" + redact_uri(uri) + "\"";
  if (!uri.starts_with(kScheme)) throw UsageError(fmt::format("sink {}: expected cassandra://host/keyspace", shown));
  std::string_view rest = uri.substr(kScheme.size());
  CassandraUri u;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = info.find(':');
    auto user = percent_decode(info.substr(0, colon));
    if (!user || user->empty()) throw UsageError(fmt::format("sink {}: the user before @ is empty or badly %-encoded", shown));
    u.user = *user;
    if (colon != std::string_view::npos) {
      u.password = percent_decode(info.substr(colon + 1));
      if (!u.password) throw UsageError(fmt::format("sink {}: the password is badly %-encoded", shown));
    }
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size())
    throw UsageError(fmt::format("sink {}: names no keyspace (e.g. cassandra://127.0.0.1:9042/user_data)", shown));
  u.keyspace = std::string(rest.substr(slash + 1));
  if (u.keyspace.size() > 48 || !std::all_of(u.keyspace.begin(), u.keyspace.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      }))
    throw UsageError(fmt::format("sink {}: keyspace \"{}\" is not a Cassandra keyspace name (letters, digits and _, "
                                 "at most 48)",
                                 shown, u.keyspace));
  std::string_view hosts = rest.substr(0, slash);
  while (!hosts.empty()) {
    auto comma = hosts.find(',');
    u.hosts.push_back(parse_host(hosts.substr(0, comma), shown));
    hosts = comma == std::string_view::npos ? std::string_view{} : hosts.substr(comma + 1);
  }
  if (u.hosts.empty()) throw UsageError(fmt::format("sink {}: names no host", shown));
  return u;
}

cql::SessionOptions cassandra_session_options(const config::Config& cfg, const CassandraUri& uri, bool use_keyspace) {
  cql::SessionOptions o;
  o.hosts = uri.hosts;
  o.connections_per_host = static_cast<int>(cfg.integer("cassandra.connections_per_host"));
  auto consistency = cql::parse_consistency(cfg.str("cassandra.consistency"));
  o.consistency = consistency.value_or(cql::Consistency::local_quorum);
  auto& c = o.connection;
  c.user = uri.user;
  const auto& env = cfg.str("cassandra.password_env");
  const auto& file = cfg.str("cassandra.password_file");
  int sources = uri.password.has_value() + !env.empty() + !file.empty();
  if (sources > 1)
    throw UsageError("the Cassandra password is given in more than one place (sink URI, cassandra.password_env, "
                     "cassandra.password_file); keep one");
  if (uri.password) c.password = *uri.password;
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (!v) throw UsageError(fmt::format("{}: cassandra.password_env names {}, which is not set", cfg.origin("cassandra.password_env"), env));
    c.password = v;
  }
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw UsageError(fmt::format("{}: cassandra.password_file {} cannot be read", cfg.origin("cassandra.password_file"), file));
    std::string line;
    std::getline(in, line);
    c.password = trim_newline(line);
  }
  if (sources > 0 && uri.user.empty())
    throw UsageError("a Cassandra password is given but no user: put it in the sink URI (cassandra://USER@host/keyspace)");
  if (use_keyspace) c.keyspace = uri.keyspace;
  c.compression = cfg.str("cassandra.compression") == "lz4" ? cql::Compression::lz4 : cql::Compression::none;
  c.connect_timeout = cfg.duration("cassandra.connect_timeout");
  c.request_timeout = cfg.duration("cassandra.request_timeout");
  if (cfg.boolean("cassandra.tls")) {
    try {
      c.tls = cql::TlsContext::create(cql::TlsOptions{cfg.str("cassandra.tls_ca_file"), true});
    } catch (const cql::CqlError& e) {
      throw UsageError(fmt::format("{}: cassandra.tls_ca_file: {}", cfg.origin("cassandra.tls_ca_file"), e.what()));
    }
  }
  return o;
}

}  // namespace sluice::sinks
