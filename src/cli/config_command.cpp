// `sluice config keys | check`: the key table as documentation, and a dry validation.
#include <fmt/format.h>

#include <iostream>

#include "cli/cli_context.h"
#include "common/uri.h"
#include "config/config_keys.h"

namespace sluice::cli {

void add_config_command(CLI::App& app, CliContext& ctx) {
  auto* cfg = app.add_subcommand("config", "Show the configuration keys, or check a config file");
  cfg->require_subcommand(1);
  cfg->fallthrough();
  auto* keys = cfg->add_subcommand("keys", "List every config key with its default, env variable and meaning");
  keys->fallthrough();
  keys->callback([&ctx] {
    ctx.action = [] {
      for (const auto& k : config::known_keys())
        std::cout << fmt::format("{:<36} default {:<28} env {}\n    {}\n", k.path,
                                 k.default_value.empty() ? "\"\"" : std::string(k.default_value),
                                 config::env_name(k.path), k.description);
      for (const auto& s : config::open_sections())
        std::cout << fmt::format("{:<36} (any keys)\n    {}\n", std::string(s.path) + ".*", s.description);
      return 0;
    };
  });
  auto* check = cfg->add_subcommand("check", "Load the config with every override and print the effective values");
  check->fallthrough();
  check->callback([&ctx] {
    ctx.action = [&ctx] {
      auto c = load_config(ctx);
      for (const auto& [path, raw] : c.entries()) {
        // A sink URI may carry a password (cassandra://user:password@host/...); librdkafka's
        // sasl.password and ssl.key.password are passed in `kafka.*`.
        std::string value = path == "sink"                                                          ? redact_uri(raw)
                            : path.starts_with("kafka.") && path.find("password") != std::string::npos ? "(hidden)"
                                                                                                        : raw;
        std::cout << fmt::format("{} = {}    # {}\n", path, value, c.origin(path));
      }
      std::cout << "config OK: " << c.file() << "\n";
      return 0;
    };
  });
}

}  // namespace sluice::cli
