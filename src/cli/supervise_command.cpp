// `sluice __supervise ...`: the hidden subcommand the scheduler starts for each task
// instance (scheduler/task_process.h): it parses supervise_args()'s flags into a
// SuperviseOptions and runs supervise_main(). Not listed by --help (group "").
//
// Signals: the SignalWatcher (cli/signals.h) takes SIGINT/SIGTERM first and would exit 130
// on the second one, leaving the task running and no result written. So the command
// registers a stop action that hands each signal the watcher takes to supervise_main
// (an eventfd, its `stop_fd`) and then parks the watcher's thread for good: every later
// signal stays pending for supervise_main's signalfd. A parked watcher cannot be joined, so
// the command ends the process itself (_exit) once the result is written.
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>

#include "cli/cli_context.h"
#include "common/error.h"
#include "scheduler/task_process.h"

namespace sluice::cli {
namespace {

struct SuperviseFlags {
  scheduler::SuperviseOptions options;
  int64_t timeout_ms = 0;
  int64_t grace_ms = 10000;
  std::vector<std::string> env;  // KEY=VALUE
};

scheduler::SuperviseOptions to_options(const SuperviseFlags& f) {
  auto o = f.options;
  o.timeout = std::chrono::milliseconds(f.timeout_ms);
  o.kill_grace = std::chrono::milliseconds(f.grace_ms);
  for (const auto& kv : f.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(std::string(scheduler::supervise_flag::kEnv) + " " + kv + ": expected KEY=VALUE");
    o.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  scheduler::validate(o);
  return o;
}

[[noreturn]] void exit_now(int code) {
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  _exit(code);
}

}  // namespace

void add_supervise_command(CLI::App& app, CliContext& ctx) {
  namespace flag = scheduler::supervise_flag;
  auto f = std::make_shared<SuperviseFlags>();
  auto* cmd = app.add_subcommand(flag::kCommand, "Run one task instance under supervision (the scheduler's)");
  cmd->group("");  // hidden: an interface between the scheduler and its own binary
  cmd->add_option(flag::kLog, f->options.log_path, "The task's output file")->required();
  cmd->add_option(flag::kLogMax, f->options.log_max_bytes, "Bound of the output file (-1: none)");
  cmd->add_option(flag::kResult, f->options.result_path, "The result file (JSON)")->required();
  cmd->add_option(flag::kTimeout, f->timeout_ms, "Timeout in ms (0: none)");
  cmd->add_option(flag::kGrace, f->grace_ms, "SIGKILL this many ms after SIGTERM");
  // One value per --env: a vector option would otherwise swallow what follows.
  cmd->add_option(flag::kEnv, f->env, "KEY=VALUE added to the task's environment (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("argv", f->options.argv, "The task's command (after --)")->required();
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      const auto options = to_options(*f);  // a UsageError here exits 2 the usual way
      // The supervisor's own logging stays quiet: its output is the log and result files.
      if (spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);

      int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (stop_fd < 0) throw FatalError("eventfd: " + std::string(std::strerror(errno)));
      if (ctx.signals) {
        ctx.signals->on_stop([stop_fd] {
          uint64_t one = 1;
          (void)!::write(stop_fd, &one, sizeof one);
          std::mutex mu;  // parked for good: see the file's comment
          std::condition_variable never;
          std::unique_lock lk(mu);
          never.wait(lk, [] { return false; });
        });
      }
      int code = 1;
      try {
        code = scheduler::supervise_main(options, stop_fd);
      } catch (const UsageError& e) {
        std::cerr << "sluice: error: " << e.what() << "\n";
        code = 2;
      } catch (const std::exception& e) {
        std::cerr << "sluice: error: " << e.what() << "\n";
        code = 1;
      }
      exit_now(code);
      return code;
    };
  });
}

}  // namespace sluice::cli
