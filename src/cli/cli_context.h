#pragma once
// State shared by the subcommands of the sluice CLI: the common options every command
// takes, and the action the parsed subcommand chose.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "cli/signals.h"
#include "config/config.h"

namespace sluice::cli {

struct CommonOptions {
  std::string config_file = "config/user_automation.yaml";
  std::string log, sink, topic, source;  // top-level overrides; empty: not given
  std::vector<std::string> sets;         // --set key=value
  std::string log_level;
};

struct CliContext {
  CommonOptions common;
  CLI::App* root = nullptr;
  SignalWatcher* signals = nullptr;  // set by main before any command runs
  std::function<int()> action;  // set by the chosen subcommand's callback
};

// Loads the configuration: file, then SLUICE_* environment, then the common flags,
// then `extra` (command flags such as --for, mapped to their config keys).
config::Config load_config(const CliContext& ctx, std::vector<config::Override> extra = {});

// The subcommands.
void add_produce_command(CLI::App& app, CliContext& ctx);
void add_topics_command(CLI::App& app, CliContext& ctx);
void add_config_command(CLI::App& app, CliContext& ctx);
void add_dags_command(CLI::App& app, CliContext& ctx);  // up, scheduler, dags, tasks
void add_stream_command(CLI::App& app, CliContext& ctx);  // stream and run
void add_query_command(CLI::App& app, CliContext& ctx);
void add_verify_command(CLI::App& app, CliContext& ctx);
void add_supervise_command(CLI::App& app, CliContext& ctx);
void add_web_command(CLI::App& app, CliContext& ctx);  // ui, status, dlq  // __supervise (hidden): the scheduler's task supervisor

}  // namespace sluice::cli
