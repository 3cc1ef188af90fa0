// Child processes for `sluice bench`: every measured command runs as its own process, so its wall
// time, CPU and peak RSS (wait4's rusage) are the command's alone, exactly as a person running
// the same command line would see them. Used by the bench thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace sluice::bench {

// What a finished child cost. exit_code is the exit status, or -signal if it was killed.
struct ChildResult {
  int exit_code = -1;
  double wall_s = 0;
  double cpu_s = 0;  // user + system
  // Peak resident set (mapped file pages included): VmHWM of /proc/PID/status, sampled every
  // millisecond while RunChild waits (RunningChild: at each running() call), so growth in the
  // last sampling interval is missed; ru_maxrss only if never sampled.
  int64_t peak_rss_kib = 0;
  // The largest RssAnon (heap, stacks: not file pages) seen by the same sampling; 0 if none.
  int64_t peak_anon_kib = 0;
  std::string err;  // its stderr (kept in memory: sluice prints a few lines)
};

// Where a child's stdout goes.
struct ChildOutput {
  std::string path = "/dev/null";  // truncated and written
};

// Runs argv[0] (a path, or a name looked up in PATH) to completion; stdin is /dev/null.
// Fails only if the process cannot be started; a non-zero exit is in the result.
[[nodiscard]] Result<ChildResult> RunChild(const std::vector<std::string>& argv,
                                           const ChildOutput& out = {});

// A child left running: its stdout is a pipe the caller reads line by line (`ReadLine`), or
// a file. Stop() sends `signal` and waits; the destructor kills a child still running.
class RunningChild {
 public:
  enum class Stdout { kPipe, kDevNull };
  static Result<RunningChild> Start(const std::vector<std::string>& argv, Stdout out);
  RunningChild(RunningChild&& other) noexcept;
  RunningChild& operator=(RunningChild&&) = delete;
  RunningChild(const RunningChild&) = delete;
  ~RunningChild();

  // The next line of stdout (without '\n'), waiting at most timeout_ms; false on timeout or
  // end of output (`eof()` tells which).
  bool ReadLine(std::string& line, int timeout_ms);
  bool eof() const { return eof_; }
  bool running();
  // Sends `sig` (if still running), waits for the exit and returns the rusage figures.
  ChildResult Stop(int sig);
  pid_t pid() const { return pid_; }

 private:
  RunningChild() = default;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;  // a temporary file holding stderr
  bool eof_ = false;
  bool reaped_ = false;
  double start_s_ = 0;
  std::string buffer_;
  ChildResult result_;
};

// Seconds on the monotonic clock.
double MonotonicSeconds();
// argv as a shell command line a person can paste (single quotes where needed).
std::string ShellQuote(const std::vector<std::string>& argv);
// The absolute path of `name` in PATH, or "" (a name with a '/' is returned if executable).
std::string FindInPath(const std::string& name);

}  // namespace sluice::bench
