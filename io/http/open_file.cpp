#include "io/http/open_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gp::io::http {

std::shared_ptr<const open_file> open_file::open(const std::string& path, failure& why,
                                                 std::string& detail) {
  why = failure::none;
  int fd;
  do
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int e = errno;
    detail = std::strerror(e);
    why = (e == ENOENT || e == ENOTDIR || e == ELOOP) ? failure::not_found : failure::error;
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    detail = std::strerror(errno);
    why = failure::error;
    ::close(fd);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    detail = "not a regular file";
    why = failure::not_found;
    ::close(fd);
    return nullptr;
  }
  file_identity id;
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  id.inode = static_cast<uint64_t>(st.st_ino);
  return std::shared_ptr<const open_file>(new open_file(fd, id));
}

open_file::~open_file() { ::close(fd_); }

}  // namespace gp::io::http
