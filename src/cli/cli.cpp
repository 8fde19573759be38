#include "cli/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "cli/cli_context.h"
#include "cli/signals.h"
#include "common/error.h"
#include "common/version.h"

extern char** environ;

namespace sluice::cli {
namespace {

void setup_logging(const std::string& flag_level) {
  auto logger = spdlog::stderr_color_mt("sluice");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  std::string level = flag_level;
  if (level.empty())
    if (const char* env = std::getenv("SLUICE_LOG_LEVEL")) level = env;
  if (level.empty()) level = "info";
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    throw UsageError("--log-level: expected trace, debug, info, warn, error or off, got \"" + level + "\"");
  spdlog::set_level(lvl);
}

}  // namespace

config::Config load_config(const CliContext& ctx, std::vector<config::Override> extra) {
  const auto& c = ctx.common;
  config::LoadOptions o;
  o.file = c.config_file;
  o.file_explicit = ctx.root && ctx.root->count("--config") > 0;
  o.environ = environ;
  auto top = [&](const std::string& value, const char* key, const char* flag) {
    if (!value.empty()) o.flags.push_back({key, value, flag});
  };
  top(c.log, "log", "--log");
  top(c.sink, "sink", "--sink");
  top(c.topic, "topic", "--topic");
  top(c.source, "source", "--source");
  for (const auto& s : c.sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--set " + s + ": expected KEY=VALUE, e.g. --set http.batch_size=1000");
    o.flags.push_back({s.substr(0, eq), s.substr(eq + 1), "--set " + s.substr(0, eq)});
  }
  for (auto& e : extra) o.flags.push_back(std::move(e));
  return config::Config::load(o);
}

int main(int argc, char** argv) {
  SignalWatcher signals;  // first, so that every later thread has the signals blocked
  CliContext ctx;
  ctx.signals = &signals;
  CLI::App app{
      "sluice: the randomuser -> Kafka -> Spark -> Cassandra pipeline as one binary.\n"
      "Runs on an embedded log and SQLite by default; on Kafka and Cassandra by URI.",
      "sluice"};
  ctx.root = &app;
  app.set_version_flag("--version", std::string("sluice ") + kVersion);
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  auto& c = ctx.common;
  app.add_option("--config", c.config_file, "Pipeline config file")->type_name("FILE")->capture_default_str();
  app.add_option("--log", c.log, "Log URI: file:DIR or kafka://host:port (overrides `log`)")->type_name("URI");
  app.add_option("--sink", c.sink, "Sink URI: sqlite:FILE or cassandra://... (overrides `sink`)")->type_name("URI");
  app.add_option("--topic", c.topic, "Topic (overrides `topic`)")->type_name("NAME");
  app.add_option("--source", c.source, "`builtin` or the API URL, e.g. https://randomuser.me/api/")->type_name("URL|builtin");
  app.add_option("--set", c.sets, "Override any config key, e.g. --set http.batch_size=1000 (repeatable)")
      ->type_name("KEY=VALUE");
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error or off (env SLUICE_LOG_LEVEL)")
      ->type_name("LEVEL");
  app.footer(
      "Every config key can also be set by environment: SLUICE_<KEY> with nested keys joined by __,\n"
      "e.g. SLUICE_HTTP__BATCH_SIZE=1000. Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.");

  add_produce_command(app, ctx);
  add_stream_command(app, ctx);
  add_query_command(app, ctx);
  add_verify_command(app, ctx);
  add_topics_command(app, ctx);
  add_config_command(app, ctx);
  add_dags_command(app, ctx);
  add_web_command(app, ctx);
  add_supervise_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    setup_logging(c.log_level);
    return ctx.action ? ctx.action() : 0;
  } catch (const UsageError& e) {
    std::cerr << "sluice: error: " << e.what() << "\n";
    return 2;
  } catch (const FatalError& e) {
    std::cerr << "sluice: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "sluice: unexpected error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sluice::cli
