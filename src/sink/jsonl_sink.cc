#include "sink/jsonl_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/file_util.h"
#include "format/json_writer.h"

namespace sluice {
namespace {

std::string BaseName(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<std::unique_ptr<JsonlSink>> JsonlSink::Open(const std::string& path, const TimeZone& tz,
                                                   OutputMode mode, bool checkpointed) {
  if (path == "-") return std::unique_ptr<JsonlSink>(new JsonlSink(path, 1, tz, mode, false));
  struct stat st {};
  const bool exists = ::lstat(path.c_str(), &st) == 0;
  const bool regular = !exists || S_ISREG(st.st_mode);
  if (exists && S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("sink '" + path + "' is a directory: write jsonl:" + path +
                                   "/ (with the slash) for a directory of part files");
  }
  int fd = -1;
  if (mode != OutputMode::kComplete || !regular) {
    // A new run without checkpoint starts the file afresh; a checkpointed one lets Recover
    // decide. Writes always go to the end.
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    if (mode != OutputMode::kComplete) flags |= O_APPEND;
    if (!checkpointed && regular && mode != OutputMode::kComplete) flags |= O_TRUNC;
    fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
      return Status::InvalidArgument("cannot write sink file '" + path +
                                     "': " + std::strerror(errno));
    }
  } else {
    // Complete mode replaces the file: check now that its directory takes new files.
    if (::access(DirName(path).c_str(), W_OK) != 0) {
      return Status::InvalidArgument("cannot write sink file '" + path +
                                     "': " + std::strerror(errno));
    }
  }
  return std::unique_ptr<JsonlSink>(new JsonlSink(path, fd, tz, mode, regular));
}

JsonlSink::JsonlSink(std::string path, int fd, const TimeZone& tz, OutputMode mode, bool regular)
    : path_(std::move(path)), fd_(fd), tz_(tz), mode_(mode), regular_(regular) {}

JsonlSink::~JsonlSink() { (void)Close(); }

std::string JsonlSink::TempPath(int64_t epoch) const {
  return DirName(path_) + "/." + BaseName(path_) + "." + std::to_string(epoch) + ".tmp";
}

const std::string& JsonLines(const OutputBatch& batch, const TimeZone& tz, std::string& buf) {
  if (batch.preformatted) return batch.formatted.bytes;
  buf.clear();
  for (const auto& row : batch.rows) {
    AppendJsonObject(buf, batch.column_names, row, tz);
    buf.push_back('\n');
  }
  return buf;
}

std::unique_ptr<RowFormatter> JsonlSink::MakeRowFormatter(
    const std::vector<std::string>& column_names) const {
  return std::make_unique<JsonRowFormatter>(column_names, tz_, JsonRowFormatter::Newline::kYes);
}

Status JsonlSink::Write(const OutputBatch& batch) {
  const std::string& lines = JsonLines(batch, tz_, buf_);
  if (mode_ == OutputMode::kComplete) {
    // The batch is the whole table: kept to be written at the commit.
    if (batch.preformatted) {
      table_ = lines;
    } else {
      table_.swap(buf_);
    }
    table_dirty_ = true;
    return Status::Ok();
  }
  if (fd_ < 0) return Status::IOError("sink '" + path_ + "' is closed");
  return WriteAll(fd_, lines, "sink '" + path_ + "'");
}

Status JsonlSink::RemoveStaleTemps(int64_t keep_epoch) {
  auto names = ListDir(DirName(path_));
  if (!names.ok()) return names.status();
  const std::string prefix = "." + BaseName(path_) + ".";
  for (const auto& n : *names) {
    if (n.rfind(prefix, 0) != 0 || n.size() < prefix.size() + 5 || n.substr(n.size() - 4) != ".tmp")
      continue;
    const std::string mid = n.substr(prefix.size(), n.size() - prefix.size() - 4);
    if (mid.empty() || mid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoll(mid) != keep_epoch) ::unlink((DirName(path_) + "/" + n).c_str());
  }
  return Status::Ok();
}

Status JsonlSink::Recover(std::string_view committed_state) {
  durable_ = true;
  if (path_ == "-") return Status::Ok();
  if (mode_ == OutputMode::kComplete) {
    // The state names the epoch whose table was committed; its rename may not have happened.
    int64_t epoch = -1;
    if (!committed_state.empty()) epoch = std::stoll(std::string(committed_state));
    if (epoch >= 0 && regular_) {
      const std::string tmp = TempPath(epoch);
      if (::access(tmp.c_str(), F_OK) == 0) {
        if (::rename(tmp.c_str(), path_.c_str()) != 0)
          return IOErrorFromErrno("cannot rename '" + tmp + "'");
        SLUICE_RETURN_IF_ERROR(FsyncDir(DirName(path_)));
      }
    }
    return regular_ ? RemoveStaleTemps(-1) : Status::Ok();
  }
  if (!regular_) return Status::Ok();  // a pipe or device: what was written stays written
  uint64_t length = 0;
  if (!committed_state.empty()) length = std::stoull(std::string(committed_state));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return IOErrorFromErrno("cannot stat '" + path_ + "'");
  if (static_cast<uint64_t>(st.st_size) < length) {
    return Status::Corruption("sink file '" + path_ + "' has " + std::to_string(st.st_size) +
                              " bytes but the checkpoint committed " + std::to_string(length) +
                              ": it was changed outside sluice; restore it or start over with a "
                              "new output file and --checkpoint directory");
  }
  if (::ftruncate(fd_, static_cast<off_t>(length)) != 0)
    return IOErrorFromErrno("cannot truncate '" + path_ + "'");
  return Status::Ok();
}

Result<std::string> JsonlSink::Prepare(int64_t epoch) {
  if (mode_ != OutputMode::kComplete) {
    if (path_ == "-" || !regular_) return std::string();
    if (durable_ && ::fsync(fd_) != 0) return IOErrorFromErrno("cannot fsync '" + path_ + "'");
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) return IOErrorFromErrno("cannot seek in '" + path_ + "'");
    return std::to_string(end);
  }
  if (table_dirty_ && (path_ == "-" || !regular_)) {
    // Written in place: standard output, a FIFO, a device or a symlink's target.
    table_dirty_ = false;
    if (fd_ >= 0 && path_ != "-" && ::ftruncate(fd_, 0) != 0 && errno != EINVAL) {
      return IOErrorFromErrno("cannot truncate '" + path_ + "'");
    }
    SLUICE_RETURN_IF_ERROR(WriteAll(fd_, table_, "sink '" + path_ + "'"));
    return std::string();
  }
  if (!table_dirty_) return prepared_epoch_ >= 0 ? std::to_string(prepared_epoch_) : std::string();
  const std::string tmp = TempPath(epoch);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IOErrorFromErrno("cannot write '" + tmp + "'");
  Status st = WriteAll(fd, table_, "'" + tmp + "'");
  if (st.ok() && durable_ && ::fsync(fd) != 0) st = IOErrorFromErrno("cannot fsync '" + tmp + "'");
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  table_dirty_ = false;
  prepared_epoch_ = epoch;
  return std::to_string(epoch);
}

Status JsonlSink::Commit(int64_t epoch) {
  if (mode_ != OutputMode::kComplete || prepared_epoch_ != epoch) return Status::Ok();
  const std::string tmp = TempPath(epoch);
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    return IOErrorFromErrno("cannot rename '" + tmp + "'");
  prepared_epoch_ = -1;
  return durable_ ? FsyncDir(DirName(path_)) : Status::Ok();
}

Status JsonlSink::Close() {
  if (fd_ < 0) return Status::Ok();
  const int fd = fd_;
  fd_ = -1;
  if (fd == 1) return Status::Ok();
  return ::close(fd) == 0 ? Status::Ok() : IOErrorFromErrno("closing '" + path_ + "'");
}

}  // namespace sluice
