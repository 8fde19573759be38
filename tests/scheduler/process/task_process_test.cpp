// Task processes end to end (src/scheduler/task_process.h): real tasks under the sluice
// binary's `__supervise`, started and adopted through TaskProcess. Exit codes, a task that
// cannot be executed, the bounded log, timeouts (SIGTERM, then SIGKILL after the grace),
// terminate() and kill_now() leaving no process behind, adoption by pid and start time,
// the environment, and the flags' round trip through the command line.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "scheduler/task_process.h"
#include "support/paths.h"
#include "support/scratch_dir.h"
#include "support/wait.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using sluice::scheduler::process_start_ticks;
using sluice::scheduler::read_result;
using sluice::scheduler::SuperviseOptions;
using sluice::scheduler::TaskProcess;
using sluice::scheduler::TaskResult;
using sluice::testing::slurp;
using sluice::testing::sluice_binary;
using sluice::testing::wait_for;

// True while `pid` is a live process (a zombie counts as gone: it runs nothing).
bool alive(pid_t pid) {
  std::string stat = slurp(fs::path("/proc") / std::to_string(pid) / "stat");
  auto p = stat.rfind(')');
  return p != std::string::npos && p + 2 < stat.size() && stat[p + 2] != 'Z';
}

// The pid a task wrote to `file` (0 until it has).
pid_t pid_in(const fs::path& file) {
  std::string s = slurp(file);
  return s.empty() || s.back() != '\n' ? 0 : std::stoi(s);
}

class TaskProcessTest : public ::testing::Test {
 protected:
  // The options of a task in this test's directory (log and result in subdirectories that
  // do not exist yet: the supervisor makes them).
  SuperviseOptions task(std::vector<std::string> argv) const {
    SuperviseOptions o;
    o.argv = std::move(argv);
    o.log_path = (dir() / "logs" / "task.log").string();
    o.result_path = (dir() / "results" / "task.json").string();
    return o;
  }

  // Starts `o`, waits for the supervisor's end (at most `limit`) and returns the result.
  TaskResult run(const SuperviseOptions& o, std::chrono::milliseconds limit = 20s) {
    auto p = TaskProcess::start(sluice_binary(), o);
    EXPECT_TRUE(p.wait_for(limit)) << "the supervisor did not end within " << limit.count() << " ms";
    if (!p.finished()) p.kill_now();
    p.wait_for(5s);
    last_exit_ = p.exit_code();
    auto r = read_result(o.result_path);
    EXPECT_TRUE(r.has_value()) << "no result file " << o.result_path;
    return r.value_or(TaskResult{});
  }

  std::string log(const SuperviseOptions& o) const { return slurp(o.log_path); }
  // A file of this test's directory, quoted for sh (tasks run in the scheduler's directory).
  std::string q(const std::string& name) const { return sluice::testing::shell_quote((dir() / name).string()); }
  const fs::path& dir() const { return scratch_.path(); }

  sluice::testing::ScratchDir scratch_;
  std::optional<int> last_exit_;
};

TEST_F(TaskProcessTest, ExitZeroIsOkAndTheLogHoldsStdoutAndStderr) {
  auto o = task({"sh", "-c", "echo to stdout; echo to stderr >&2"});
  auto r = run(o);
  EXPECT_TRUE(r.ok()) << sluice::scheduler::result_json(r);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.error, "");
  EXPECT_GT(r.started_ms, 0);
  EXPECT_GE(r.ended_ms, r.started_ms);
  EXPECT_EQ(log(o), "to stdout\nto stderr\n");
  EXPECT_EQ(last_exit_, 0);
  EXPECT_FALSE(fs::exists(o.result_path + ".tmp"));
}

TEST_F(TaskProcessTest, ANonZeroExitIsAFailureWithItsCode) {
  auto o = task({"sh", "-c", "echo failing; exit 3"});
  auto r = run(o);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(log(o), "failing\n");
  EXPECT_EQ(last_exit_, 1);
}

TEST_F(TaskProcessTest, AProgramNotInPathIs127NamingIt) {
  auto o = task({"no-such-program-sluice-test", "arg"});
  auto r = run(o);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("'no-such-program-sluice-test'"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("not found"), std::string::npos) << r.error;
  EXPECT_NE(log(o).find("no-such-program-sluice-test"), std::string::npos) << log(o);
  EXPECT_EQ(last_exit_, 1);
}

TEST_F(TaskProcessTest, AFileThatIsNotExecutableIs127NamingIt) {
  fs::path script = dir() / "not_executable.sh";
  std::ofstream(script) << "#!/bin/sh\necho never\n";
  fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write);
  auto r = run(task({script.string()}));
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.error.find(script.string()), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("Permission denied"), std::string::npos) << r.error;

  auto missing = task({(dir() / "missing").string()});
  missing.result_path = (dir() / "results" / "missing.json").string();
  auto m = run(missing);
  EXPECT_EQ(m.exit_code, 127);
  EXPECT_NE(m.error.find("missing"), std::string::npos) << m.error;
  EXPECT_NE(m.error.find("No such file"), std::string::npos) << m.error;
}

// Checks the log's structure: lines "1".."N" in order, at most one cut line, after which
// the numbers go on (higher) in order. Returns "" or what is wrong. A last line without its
// newline (the task mid-line) is allowed.
std::string check_numbered_log(const std::string& text, bool complete, int64_t* first_after_cut = nullptr) {
  int64_t expect = 1;
  bool cut = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) return complete ? "an unterminated last line" : "";
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.starts_with("[sluice: ")) {
      if (cut) return "two cut lines";
      if (!line.ends_with(" bytes of output cut]")) return "a strange sluice line: " + line;
      cut = true;
      expect = -1;
      continue;
    }
    int64_t n = std::stoll(line);
    if (expect < 0) {
      if (first_after_cut) *first_after_cut = n;
    } else if (n != expect) {
      return "line " + line + " where " + std::to_string(expect) + " was due";
    }
    expect = n + 1;
  }
  return "";
}

TEST_F(TaskProcessTest, LotsOfOutputKeepsTheHeadAndTheTailUnderTheBound) {
  constexpr int64_t kMax = 64 << 10;
  constexpr int kLines = 200000;
  auto o = task({"seq", "1", std::to_string(kLines)});
  o.log_max_bytes = kMax;

  // While the task writes, a reader sees whole files only (the old one or the rewritten one).
  auto p = TaskProcess::start(sluice_binary(), o);
  int snapshots = 0;
  while (!p.finished()) {
    std::string text = slurp(o.log_path);
    ASSERT_EQ(check_numbered_log(text, false), "") << "a reader saw a broken log";
    ASSERT_LE(static_cast<int64_t>(text.size()), kMax);
    ++snapshots;
  }
  ASSERT_TRUE(p.wait_for(20s));
  auto r = read_result(o.result_path);
  ASSERT_TRUE(r && r->ok());

  std::string text = slurp(o.log_path);
  EXPECT_LE(static_cast<int64_t>(text.size()), kMax);
  EXPECT_GE(static_cast<int64_t>(text.size()), kMax / 2);
  int64_t first_after_cut = 0;
  EXPECT_EQ(check_numbered_log(text, true, &first_after_cut), "");
  EXPECT_TRUE(text.starts_with("1\n2\n3\n"));
  EXPECT_TRUE(text.ends_with("\n" + std::to_string(kLines) + "\n"));

  // The cut line counts exactly the bytes missing between the head and the tail.
  auto at = text.find("[sluice: ");
  ASSERT_NE(at, std::string::npos);
  int64_t cut = std::stoll(text.substr(at + 9));
  auto bytes_of = [](int64_t from, int64_t to) {  // of the lines from..to of `seq`
    int64_t n = 0;
    for (int64_t i = from; i <= to; ++i) n += static_cast<int64_t>(std::to_string(i).size()) + 1;
    return n;
  };
  std::string head = text.substr(0, at);
  int64_t last_in_head = std::stoll(head.substr(head.rfind('\n', head.size() - 2) + 1));
  EXPECT_EQ(cut, bytes_of(last_in_head + 1, first_after_cut - 1));
  EXPECT_LE(static_cast<int64_t>(head.size()), kMax / 4);
  EXPECT_GT(snapshots, 0);
}

TEST_F(TaskProcessTest, OutputWithoutNewlinesIsBoundedToo) {
  constexpr int64_t kMax = 4096;
  auto o = task({"sh", "-c", "printf head; head -c 300000 /dev/zero | tr '\\0' x; printf tail"});
  o.log_max_bytes = kMax;
  auto r = run(o);
  ASSERT_TRUE(r.ok()) << r.error;
  std::string text = log(o);
  EXPECT_LE(static_cast<int64_t>(text.size()), kMax);
  EXPECT_TRUE(text.starts_with("headxxx"));
  EXPECT_TRUE(text.ends_with("xxxtail"));
  // The head is cut mid-line: the cut line starts a line of its own.
  auto at = text.find("\n[sluice: ");
  ASSERT_NE(at, std::string::npos) << text;
  int64_t cut = std::stoll(text.substr(at + 10));
  auto line_end = text.find('\n', at + 1);
  int64_t kept = static_cast<int64_t>(at + (text.size() - line_end - 1));
  EXPECT_EQ(cut + kept, 4 + 300000 + 4);
}

TEST_F(TaskProcessTest, TimeoutEndsTheTaskWithSigterm) {
  auto o = task({"sleep", "30"});
  o.timeout = 300ms;
  o.kill_grace = 10s;
  auto begin = std::chrono::steady_clock::now();
  auto r = run(o);
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
  EXPECT_NE(r.error.find("timed out after 300 ms"), std::string::npos) << r.error;
  EXPECT_GE(r.ended_ms - r.started_ms, 300);
  EXPECT_LT(took, 5s);  // SIGTERM did it: the 10 s grace never ran out
  EXPECT_NE(log(o).find("[sluice: timed out after 300 ms: SIGTERM to the task]"), std::string::npos) << log(o);
  EXPECT_EQ(last_exit_, 1);
}

TEST_F(TaskProcessTest, ATaskIgnoringSigtermIsKilledAfterTheGrace) {
  auto o = task({"sh", "-c", "trap '' TERM; sleep 60"});
  o.timeout = 200ms;
  o.kill_grace = 400ms;
  auto begin = std::chrono::steady_clock::now();
  auto r = run(o);
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_GE(r.ended_ms - r.started_ms, 600);
  EXPECT_LT(took, 5s);
  EXPECT_NE(log(o).find("still running 400 ms after SIGTERM: SIGKILL"), std::string::npos) << log(o);
}

TEST_F(TaskProcessTest, TerminateMidTaskEndsTheTaskAndItsChildrenAndWritesTheResult) {
  // A task with a child of its own: both must go.
  auto o = task({"sh", "-c", "sleep 60 & echo $! > " + q("child") + "; echo $$ > " + q("pid") + "; wait"});
  o.kill_grace = 10s;
  auto p = TaskProcess::start(sluice_binary(), o);
  ASSERT_TRUE(wait_for([&] { return pid_in(dir() / "pid") && pid_in(dir() / "child"); }, 10s, "the task's pids"));
  pid_t task_pid = pid_in(dir() / "pid"), child_pid = pid_in(dir() / "child");
  ASSERT_TRUE(alive(task_pid) && alive(child_pid));
  EXPECT_FALSE(p.finished());

  p.terminate();
  ASSERT_TRUE(p.wait_for(5s));
  EXPECT_FALSE(alive(task_pid));
  EXPECT_TRUE(wait_for([&] { return !alive(child_pid); }, 2s, "the task's child to be gone"));
  auto r = read_result(o.result_path);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, "terminated by the scheduler");
  EXPECT_EQ(r->signal, SIGTERM);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(p.exit_code(), 1);
}

TEST_F(TaskProcessTest, ASecondTerminateKillsAtOnce) {
  auto o = task({"sh", "-c", "trap '' TERM; echo $$ > " + q("pid") + "; sleep 60"});
  o.kill_grace = 60s;
  auto p = TaskProcess::start(sluice_binary(), o);
  ASSERT_TRUE(wait_for([&] { return pid_in(dir() / "pid") != 0; }, 10s, "the task's pid"));
  p.terminate();
  ASSERT_TRUE(wait_for([&] { return log(o).find("terminated by the scheduler") != std::string::npos; }, 5s,
                       "the supervisor to take the first SIGTERM"));
  EXPECT_FALSE(p.finished());  // the task ignores SIGTERM; the grace is a minute
  p.terminate();
  ASSERT_TRUE(p.wait_for(5s));
  auto r = read_result(o.result_path);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_EQ(r->error, "terminated by the scheduler");
  EXPECT_FALSE(alive(pid_in(dir() / "pid")));
}

TEST_F(TaskProcessTest, KillNowTakesTheTaskWithTheSupervisor) {
  auto o = task({"sh", "-c", "trap '' TERM; sleep 60 & echo $! > " + q("child") + "; echo $$ > " + q("pid") + "; wait"});
  auto p = TaskProcess::start(sluice_binary(), o);
  ASSERT_TRUE(wait_for([&] { return pid_in(dir() / "pid") && pid_in(dir() / "child"); }, 10s, "the task's pids"));
  pid_t task_pid = pid_in(dir() / "pid"), child_pid = pid_in(dir() / "child");
  p.kill_now();
  ASSERT_TRUE(p.wait_for(5s));
  EXPECT_EQ(p.exit_code(), 128 + SIGKILL);
  EXPECT_TRUE(wait_for([&] { return !alive(task_pid) && !alive(child_pid); }, 2s, "the task and its child gone"));
  EXPECT_FALSE(read_result(o.result_path));  // killed, it wrote nothing
}

TEST_F(TaskProcessTest, AdoptWatchesASupervisorThroughItsPidfd) {
  auto o = task({"sh", "-c", "echo $$ > " + q("pid") + "; sleep 60"});
  auto started = TaskProcess::start(sluice_binary(), o);
  ASSERT_GT(started.start_ticks(), 0u);
  EXPECT_EQ(started.start_ticks(), process_start_ticks(started.pid()));
  ASSERT_TRUE(wait_for([&] { return pid_in(dir() / "pid") != 0; }, 10s, "the task's pid"));

  // Another process (wrong start time) under that pid is not adopted.
  EXPECT_FALSE(TaskProcess::adopt(started.pid(), started.start_ticks() + 1));
  EXPECT_FALSE(TaskProcess::adopt(started.pid(), 0));
  auto adopted = TaskProcess::adopt(started.pid(), started.start_ticks());
  ASSERT_TRUE(adopted);
  EXPECT_EQ(adopted->pid(), started.pid());
  EXPECT_NE(adopted->fd(), started.fd());
  EXPECT_FALSE(adopted->finished());
  pollfd pfd{adopted->fd(), POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 0), 0);

  // Moved, it stays the same handle.
  TaskProcess moved = std::move(*adopted);
  EXPECT_EQ(moved.pid(), started.pid());

  moved.terminate();  // a signal through the pidfd of a process that is not our child
  pfd = {moved.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "the pidfd did not become readable";
  EXPECT_TRUE(moved.finished());
  EXPECT_FALSE(moved.exit_code());  // not our child: the result file tells
  auto r = read_result(o.result_path);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, "terminated by the scheduler");

  ASSERT_TRUE(started.wait_for(5s));  // the parent reaps it
  EXPECT_EQ(started.exit_code(), 1);
  EXPECT_EQ(process_start_ticks(started.pid()), 0u);
  EXPECT_FALSE(TaskProcess::adopt(started.pid(), started.start_ticks()));  // gone
}

TEST_F(TaskProcessTest, TheEnvironmentIsPassedAddedAndReplaced) {
  auto o = task({"sh", "-c", "echo \"greeting=$TASK_GREETING home=$HOME\""});
  o.env = {{"TASK_GREETING", "hello world"}, {"HOME", "/nonexistent-home"}};
  auto r = run(o);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(log(o), "greeting=hello world home=/nonexistent-home\n");
}

TEST_F(TaskProcessTest, ArgvLookingLikeFlagsReachesTheTaskAsIs) {
  auto o = task({"printf", "%s|", "--", "-x", "a b", "--log-file", "__supervise", "", "'\"$HOME"});
  auto r = run(o);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(log(o), "--|-x|a b|--log-file|__supervise||'\"$HOME|");
}

TEST_F(TaskProcessTest, TheLogIsAppendedToAndTheTaskHasNoStdin) {
  auto o = task({"sh", "-c", "cat; echo second"});
  fs::create_directories(fs::path(o.log_path).parent_path());
  std::ofstream(o.log_path) << "first\n";
  auto r = run(o);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(log(o), "first\nsecond\n");
}

TEST_F(TaskProcessTest, TheTaskGetsDefaultSignalsAndNoDescriptorOfTheScheduler) {
  // Blocked or ignored here (the sluice CLI blocks SIGTERM in every thread): not in the task.
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  auto old_pipe = signal(SIGPIPE, SIG_IGN);
  int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  ASSERT_GE(leaked, 3);
  auto o = task({"sh", "-c", "grep -E '^(SigBlk|SigIgn)' /proc/self/status; ls /proc/self/fd | tr '\\n' ' '"});
  auto p = TaskProcess::start(sluice_binary(), o);
  close(leaked);
  signal(SIGPIPE, old_pipe);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(p.wait_for(20s));
  std::string text = log(o);
  EXPECT_NE(text.find("SigBlk:\t0000000000000000"), std::string::npos) << text;
  EXPECT_NE(text.find("SigIgn:\t0000000000000000"), std::string::npos) << text;
  // 0, 1, 2 and the directory ls reads (3): nothing else.
  EXPECT_NE(text.find("\n0 1 2 3 "), std::string::npos) << text;
  EXPECT_EQ(text.find(" 4 "), std::string::npos) << text;
}

TEST_F(TaskProcessTest, StartingAMissingBinaryThrowsNamingIt) {
  try {
    TaskProcess::start((dir() / "no-sluice-here").string(), task({"true"}));
    FAIL() << "no exception";
  } catch (const sluice::FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("no-sluice-here"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(TaskProcess::start(sluice_binary(), task({})), sluice::UsageError);
}

TEST_F(TaskProcessTest, TheSubcommandIsHiddenAndChecksItsFlags) {
  auto help = sluice::testing::run_shell(sluice::testing::shell_quote(sluice_binary()) + " --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_EQ(help.out.find("supervise"), std::string::npos) << help.out;
  auto bad = sluice::testing::run_shell(sluice::testing::shell_quote(sluice_binary()) +
                                        " __supervise --log-file l --result-file r --log-max-bytes 10 -- true");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--log-max-bytes"), std::string::npos) << bad.err;
}

TEST(TaskResultTest, ReadResultRoundTripsAndRefusesWhatIsNotOne) {
  sluice::testing::ScratchDir scratch;
  fs::path f = scratch.path() / "r.json";
  EXPECT_FALSE(read_result(f.string()));
  TaskResult r{.exit_code = 137, .signal = 9, .timed_out = true, .started_ms = 1700000000000, .ended_ms = 1700000000500,
               .error = "timed out \"after\" 1 ms\n"};
  std::ofstream(f) << sluice::scheduler::result_json(r);
  auto back = read_result(f.string());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_EQ(back->signal, 9);
  EXPECT_TRUE(back->timed_out);
  EXPECT_EQ(back->started_ms, r.started_ms);
  EXPECT_EQ(back->ended_ms, r.ended_ms);
  EXPECT_EQ(back->error, r.error);
  EXPECT_FALSE(back->ok());
  std::ofstream(f) << "{\"exit_code\":";
  EXPECT_FALSE(read_result(f.string()));
  std::ofstream(f) << "{\"signal\":0}";
  EXPECT_FALSE(read_result(f.string()));
  std::ofstream(f) << "{\"exit_code\":\"0\"}";
  EXPECT_FALSE(read_result(f.string()));
}

TEST(TaskResultTest, ProcessStartTicks) {
  EXPECT_GT(process_start_ticks(getpid()), 0u);
  EXPECT_EQ(process_start_ticks(getpid()), process_start_ticks(getpid()));
  EXPECT_EQ(process_start_ticks(0), 0u);
  EXPECT_EQ(process_start_ticks(-1), 0u);
  EXPECT_EQ(process_start_ticks(1 << 30), 0u);
}

}  // namespace
