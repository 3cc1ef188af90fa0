#include "sink/jsonl_dir_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/file_util.h"
#include "sink/jsonl_sink.h"

namespace sluice {
namespace {

std::string EpochText(int64_t epoch) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%010lld", static_cast<long long>(epoch));
  return buf;
}

}  // namespace

Result<std::unique_ptr<JsonlDirSink>> JsonlDirSink::Open(const std::string& dir_arg,
                                                         const TimeZone& tz, OutputMode mode,
                                                         std::string writer) {
  const std::string dir = WithoutTrailingSlashes(dir_arg);
  if (Status st = MakeDirs(dir); !st.ok()) {
    return Status::InvalidArgument("cannot use sink directory '" + dir + "/': " + st.message());
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return Status::InvalidArgument("cannot write into sink directory '" + dir +
                                   "/': " + std::strerror(errno));
  }
  return std::unique_ptr<JsonlDirSink>(new JsonlDirSink(dir, tz, mode, std::move(writer)));
}

JsonlDirSink::~JsonlDirSink() { (void)CloseOpenFile(); }

std::string JsonlDirSink::TempPath(int64_t epoch) const {
  if (mode_ == OutputMode::kComplete) {
    return dir_ + "/.part-" + writer_ + "." + EpochText(epoch) + ".jsonl.tmp";
  }
  return dir_ + "/.part-" + EpochText(epoch) + "-" + writer_ + ".jsonl.tmp";
}

std::string JsonlDirSink::FinalPath(int64_t epoch) const {
  if (mode_ == OutputMode::kComplete) return dir_ + "/part-" + writer_ + ".jsonl";
  return dir_ + "/part-" + EpochText(epoch) + "-" + writer_ + ".jsonl";
}

Status JsonlDirSink::CloseOpenFile() {
  if (fd_ < 0) return Status::Ok();
  const int fd = fd_;
  fd_ = -1;
  return ::close(fd) == 0 ? Status::Ok()
                          : IOErrorFromErrno("closing '" + TempPath(open_epoch_) + "'");
}

Status JsonlDirSink::Write(const OutputBatch& batch) {
  const int64_t epoch = batch.batch_id;
  if (mode_ == OutputMode::kComplete) {
    // Each batch is the whole table: start the epoch's file afresh.
    SLUICE_RETURN_IF_ERROR(CloseOpenFile());
    ::unlink(TempPath(epoch).c_str());
  } else if (fd_ >= 0 && open_epoch_ != epoch) {
    return Status::Internal("sink '" + Describe() + "': rows of epoch " + std::to_string(epoch) +
                            " before epoch " + std::to_string(open_epoch_) + " was prepared");
  }
  if (fd_ < 0) {
    const std::string tmp = TempPath(epoch);
    fd_ = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return IOErrorFromErrno("cannot write '" + tmp + "'");
    open_epoch_ = epoch;
  }
  return WriteAll(fd_, JsonLines(batch, tz_, buf_), "'" + TempPath(epoch) + "'");
}

std::unique_ptr<RowFormatter> JsonlDirSink::MakeRowFormatter(
    const std::vector<std::string>& column_names) const {
  return std::make_unique<JsonRowFormatter>(column_names, tz_, JsonRowFormatter::Newline::kYes);
}

Status JsonlDirSink::Recover(std::string_view committed_state) {
  durable_ = true;
  int64_t committed = -1;
  if (!committed_state.empty()) committed = std::stoll(std::string(committed_state));
  auto names = ListDir(dir_);
  if (!names.ok()) return names.status();
  // Our temporary files: ".part-<epoch>-<writer>.jsonl.tmp" (complete:
  // ".part-<writer>.<epoch>...").
  for (const auto& n : *names) {
    if (n.rfind(".part-", 0) != 0 || n.size() < 10 || n.substr(n.size() - 10) != ".jsonl.tmp")
      continue;
    std::string middle = n.substr(6, n.size() - 6 - 10);
    int64_t epoch = -1;
    std::string who;
    if (mode_ == OutputMode::kComplete) {
      const auto dot = middle.rfind('.');
      if (dot == std::string::npos) continue;
      who = middle.substr(0, dot);
      epoch = std::strtoll(middle.c_str() + dot + 1, nullptr, 10);
    } else {
      const auto dash = middle.find('-');
      if (dash == std::string::npos) continue;
      who = middle.substr(dash + 1);
      epoch = std::strtoll(middle.substr(0, dash).c_str(), nullptr, 10);
    }
    if (who != writer_) continue;  // another process's files are its own business
    const std::string path = dir_ + "/" + n;
    if (epoch == committed) {
      // Committed in the checkpoint but not yet renamed when the process died: finish it.
      if (::rename(path.c_str(), FinalPath(epoch).c_str()) != 0)
        return IOErrorFromErrno("cannot rename '" + path + "'");
    } else {
      ::unlink(path.c_str());  // an epoch that never committed: its rows will be written again
    }
  }
  return FsyncDir(dir_);
}

Result<std::string> JsonlDirSink::Prepare(int64_t epoch) {
  if (fd_ < 0) return std::string(prepared_epoch_ >= 0 ? std::to_string(prepared_epoch_) : "");
  if (open_epoch_ != epoch) {
    return Status::Internal("sink '" + Describe() + "': preparing epoch " + std::to_string(epoch) +
                            " with rows of epoch " + std::to_string(open_epoch_));
  }
  if (durable_ && ::fsync(fd_) != 0)
    return IOErrorFromErrno("cannot fsync '" + TempPath(epoch) + "'");
  SLUICE_RETURN_IF_ERROR(CloseOpenFile());
  prepared_epoch_ = epoch;
  return std::to_string(epoch);
}

Status JsonlDirSink::Commit(int64_t epoch) {
  if (prepared_epoch_ != epoch) return Status::Ok();
  prepared_epoch_ = -1;
  const std::string tmp = TempPath(epoch);
  if (::rename(tmp.c_str(), FinalPath(epoch).c_str()) != 0)
    return IOErrorFromErrno("cannot rename '" + tmp + "'");
  return durable_ ? FsyncDir(dir_) : Status::Ok();
}

Status JsonlDirSink::Close() { return CloseOpenFile(); }

}  // namespace sluice
