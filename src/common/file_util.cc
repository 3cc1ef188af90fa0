#include "common/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice {

Status IOErrorFromErrno(const std::string& what) {
  // A write into a pipe whose reader went away ends the run quietly (Status::BrokenPipe).
  if (errno == EPIPE) return Status::BrokenPipe(what + ": the reader closed the pipe");
  return Status::IOError(what + ": " + std::strerror(errno));
}

std::string DirName(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("'" + path + "' does not exist");
    return IOErrorFromErrno("cannot open '" + path + "'");
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = IOErrorFromErrno("cannot read '" + path + "'");
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& what) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOErrorFromErrno("cannot write " + what);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IOErrorFromErrno("cannot open directory '" + dir + "'");
  const int rc = ::fsync(fd);
  ::close(fd);
  // Some filesystems cannot fsync a directory; the rename is then as durable as they make it.
  if (rc != 0 && errno != EINVAL && errno != EROFS)
    return IOErrorFromErrno("cannot fsync '" + dir + "'");
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IOErrorFromErrno("cannot create '" + tmp + "'");
  Status st = WriteAll(fd, bytes, "'" + tmp + "'");
  if (st.ok() && ::fsync(fd) != 0) st = IOErrorFromErrno("cannot fsync '" + tmp + "'");
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = IOErrorFromErrno("cannot rename '" + tmp + "' to '" + path + "'");
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(DirName(path));
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status::NotFound("directory '" + dir + "' does not exist");
    return IOErrorFromErrno("cannot list '" + dir + "'");
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view n(e->d_name);
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  return names;
}

Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return Status::Ok();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return Status::InvalidArgument("'" + dir + "' exists and is not a directory");
  }
  const std::string parent = DirName(dir);
  if (parent != dir && parent != "." && parent != "/") SLUICE_RETURN_IF_ERROR(MakeDirs(parent));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IOErrorFromErrno("cannot create directory '" + dir + "'");
  }
  return Status::Ok();
}

}  // namespace sluice
