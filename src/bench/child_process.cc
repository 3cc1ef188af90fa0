#include "bench/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "common/file_util.h"

namespace sluice::bench {
namespace {

// An anonymous file for a child's stderr: no name to clean up, readable after the exit.
int AnonymousFile() { return memfd_create("sluice-bench-stderr", MFD_CLOEXEC); }

std::string ReadAnonymousFile(int fd) {
  std::string text;
  char buf[8192];
  ssize_t n;
  off_t off = 0;
  while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return text;
}

// fork + exec with stdin /dev/null, stdout `out_fd`, stderr `err_fd`; returns once the child
// has exec'd (or died), so that /proc/PID/status describes the new program and not the forked
// copy of this process. In the child only async-signal-safe calls happen before exec.
Result<pid_t> Spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int exec_pipe[2];  // closed by exec (O_CLOEXEC): EOF on the read end means exec happened
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) return IOErrorFromErrno("pipe");
  const pid_t pid = fork();
  if (pid < 0) return IOErrorFromErrno("fork");
  if (pid == 0) {
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(null_fd);
  close(exec_pipe[1]);
  char byte;
  while (read(exec_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  return pid;
}

// Reads VmHWM (the peak resident set of the process's own memory map) and RssAnon (heap,
// stacks) from /proc/PID/status into the running maxima of `r`. VmHWM is sampled because
// wait4's ru_maxrss also counts the forked copy of the parent before exec: a child of a large
// bench would report the bench's size.
void SampleStatus(pid_t pid, ChildResult& r) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  if (const char* at = std::strstr(buf, "VmHWM:")) {
    r.peak_rss_kib = std::max<int64_t>(r.peak_rss_kib, std::atoll(at + 6));
  }
  if (const char* at = std::strstr(buf, "RssAnon:")) {
    r.peak_anon_kib = std::max<int64_t>(r.peak_anon_kib, std::atoll(at + 8));
  }
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

void Fill(ChildResult& r, int status, const rusage& ru) {
  r.exit_code = ExitCode(status);
  r.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (r.peak_rss_kib == 0) r.peak_rss_kib = ru.ru_maxrss;  // never sampled: the best there is
}

}  // namespace

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Result<ChildResult> RunChild(const std::vector<std::string>& argv, const ChildOutput& out) {
  const int out_fd = open(out.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) return IOErrorFromErrno("open " + out.path);
  const int err_fd = AnonymousFile();
  const double t0 = MonotonicSeconds();
  auto pid = Spawn(argv, out_fd, err_fd);
  close(out_fd);
  if (!pid.ok()) {
    close(err_fd);
    return pid.status();
  }
  ChildResult r;
  // Wait on a pidfd with a 1 ms timeout: the exit is seen at once, and between timeouts the
  // child's anonymous memory is sampled.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, *pid, 0));
  if (pidfd >= 0) {
    while (true) {
      pollfd p{pidfd, POLLIN, 0};
      const int n = poll(&p, 1, 1);
      if (n > 0) break;
      if (n < 0 && errno != EINTR) break;
      SampleStatus(*pid, r);
    }
    close(pidfd);
  }
  int status = 0;
  rusage ru{};
  while (wait4(*pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  r.wall_s = MonotonicSeconds() - t0;
  Fill(r, status, ru);
  r.err = ReadAnonymousFile(err_fd);
  close(err_fd);
  if (r.exit_code == 127 && r.err.empty()) {
    return Status::NotFound("cannot run " + argv[0]);
  }
  return r;
}

Result<RunningChild> RunningChild::Start(const std::vector<std::string>& argv, Stdout out) {
  RunningChild c;
  int out_fd = -1;
  int pipe_fds[2] = {-1, -1};
  if (out == Stdout::kPipe) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return IOErrorFromErrno("pipe");
    out_fd = pipe_fds[1];
    c.out_fd_ = pipe_fds[0];
  } else {
    out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  }
  c.err_fd_ = AnonymousFile();
  c.start_s_ = MonotonicSeconds();
  auto pid = Spawn(argv, out_fd, c.err_fd_);
  close(out_fd);
  if (!pid.ok()) return pid.status();
  c.pid_ = *pid;
  return c;
}

RunningChild::RunningChild(RunningChild&& o) noexcept
    : pid_(o.pid_),
      out_fd_(o.out_fd_),
      err_fd_(o.err_fd_),
      eof_(o.eof_),
      reaped_(o.reaped_),
      start_s_(o.start_s_),
      buffer_(std::move(o.buffer_)),
      result_(std::move(o.result_)) {
  o.pid_ = -1;
  o.out_fd_ = -1;
  o.err_fd_ = -1;
}

RunningChild::~RunningChild() {
  if (pid_ > 0 && !reaped_) Stop(SIGKILL);
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool RunningChild::ReadLine(std::string& line, int timeout_ms) {
  const double deadline = MonotonicSeconds() + timeout_ms / 1000.0;
  while (true) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      line.assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      return true;
    }
    if (eof_ || out_fd_ < 0) return false;
    const int left = static_cast<int>((deadline - MonotonicSeconds()) * 1000);
    if (left <= 0) return false;
    pollfd p{out_fd_, POLLIN, 0};
    const int n = poll(&p, 1, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char buf[65536];
    const ssize_t got = read(out_fd_, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      eof_ = true;
      continue;
    }
    buffer_.append(buf, static_cast<size_t>(got));
  }
}

bool RunningChild::running() {
  if (reaped_ || pid_ <= 0) return false;
  SampleStatus(pid_, result_);
  int status = 0;
  rusage ru{};
  if (wait4(pid_, &status, WNOHANG, &ru) == pid_) {
    reaped_ = true;
    result_.wall_s = MonotonicSeconds() - start_s_;
    Fill(result_, status, ru);
    return false;
  }
  return true;
}

ChildResult RunningChild::Stop(int sig) {
  if (pid_ > 0 && !reaped_ && running()) {
    kill(pid_, sig);
    // Keep draining stdout: a child that flushes its last rows into a full pipe would never
    // exit. After 30 s it is killed.
    const double deadline = MonotonicSeconds() + 30;
    std::string discard;
    while (running()) {
      if (MonotonicSeconds() > deadline) kill(pid_, SIGKILL);
      if (out_fd_ >= 0 && !eof_) {
        while (ReadLine(discard, 10)) {
        }
      } else {
        usleep(10'000);
      }
    }
  }
  if (err_fd_ >= 0) result_.err = ReadAnonymousFile(err_fd_);
  return result_;
}

std::string ShellQuote(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_./:=,@+%") == std::string::npos;
    if (plain) {
      s += a;
      continue;
    }
    s += '\'';
    for (char ch : a) {
      if (ch == '\'') {
        s += "'\\''";
      } else {
        s += ch;
      }
    }
    s += '\'';
  }
  return s;
}

std::string FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

}  // namespace sluice::bench
