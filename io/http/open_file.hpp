#pragma once
// A regular file opened for a response body. The descriptor stays open for as long as any
// response (or the server writing it) holds the shared handle, so a file replaced or removed while
// it is being sent is still sent whole, as it was when opened.
#include <cstdint>
#include <memory>
#include <string>

#include "io/http/ranges.hpp"

namespace gp::io::http {

class open_file {
public:
  /// Why a file could not be opened.
  enum class failure {
    none,
    /// Absent, not a regular file, or a symbolic link (never followed).
    not_found,
    /// Anything else (permissions, descriptor limit): the caller answers 5xx.
    error,
  };

  /// Opens `path` read-only (a symbolic link as last component is refused); on failure returns
  /// null and sets `why` (and `detail`, the system's message).
  static std::shared_ptr<const open_file> open(const std::string& path, failure& why,
                                               std::string& detail);

  ~open_file();
  open_file(const open_file&) = delete;
  open_file& operator=(const open_file&) = delete;

  int fd() const { return fd_; }
  const file_identity& identity() const { return id_; }
  uint64_t size() const { return id_.size; }
  /// Seconds since the epoch of the last modification.
  int64_t mtime_seconds() const { return id_.mtime_ns / 1000000000; }

private:
  open_file(int fd, file_identity id) : fd_(fd), id_(id) {}
  int fd_;
  file_identity id_;
};

}  // namespace gp::io::http
