// Small POSIX file helpers for what must survive a crash: whole-file reads, atomic replacement
// (temporary file, fsync, rename, directory fsync) and directory listing. Errors come back as
// IOError naming the path and the system's reason.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice {

// IOError "WHAT: <strerror(errno)>", for a system call that just failed.
[[nodiscard]] Status IOErrorFromErrno(const std::string& what);

[[nodiscard]] Result<std::string> ReadWholeFile(const std::string& path);
// Writes `bytes` to path + ".tmp", fsyncs it, renames it over `path` and fsyncs the directory:
// a reader (or a restart after a crash) sees the old file or the new one, never a part.
[[nodiscard]] Status WriteFileAtomic(const std::string& path, std::string_view bytes);
[[nodiscard]] Status FsyncDir(const std::string& dir);
// Writes all of `bytes` to fd (retrying short writes and EINTR).
[[nodiscard]] Status WriteAll(int fd, std::string_view bytes, const std::string& what);
// Names of the entries of `dir` (not "." or ".."); NotFound if it does not exist.
[[nodiscard]] Result<std::vector<std::string>> ListDir(const std::string& dir);
// Creates dir (and its parents) if missing.
[[nodiscard]] Status MakeDirs(const std::string& dir);
std::string DirName(const std::string& path);
// "a/b//" -> "a/b" ("/" stays "/"): directories given with or without a final slash.
std::string WithoutTrailingSlashes(std::string path);

}  // namespace sluice
