#pragma once
// The free space of the storage roots, each read by a thread of its own. /health and /metrics
// read the last answers and never call statvfs themselves: a file system that stops answering
// (a network mount whose server went away) holds its root's thread, not the HTTP edge nor the
// other roots' reads, and shows as a root that has not answered for so long.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/disk_usage.hpp"

namespace gp::io {

class storage_watch {
public:
  using clock = std::chrono::steady_clock;
  /// What reads one root: statvfs (space_of) outside tests.
  using reader = std::function<std::optional<disk_space>(const std::string& path)>;

  /// One root as last read.
  struct root {
    std::string name;
    std::string path;
    /// False until the first read of this root ended.
    bool read = false;
    /// The last answer; nothing when the file system could not be read.
    std::optional<disk_space> space;
    /// How long the read under way has been waiting, when it has waited `unresponsive_after` or
    /// longer (the last answer is then stale) or is the root's first (there is no answer yet);
    /// zero otherwise.
    std::chrono::milliseconds waiting{0};
  };

  /// Starts one thread per root, which reads it, then again every `every`, and waits (at most
  /// `first_wait`) for the first answers so that the first callers see them.
  storage_watch(std::vector<std::pair<std::string, std::string>> roots,
                std::chrono::milliseconds every,
                std::chrono::milliseconds unresponsive_after = std::chrono::seconds{5},
                reader read = space_of,
                std::chrono::milliseconds first_wait = std::chrono::seconds{1});
  /// Stops the threads without waiting for them: one held by a file system that does not
  /// answer ends when its read does. Some file systems (FUSE, once the call reached its daemon)
  /// hold the thread uninterruptibly: then the process cannot exit either until the call returns
  /// or the mount is aborted (docs/monitoring.md).
  ~storage_watch();
  storage_watch(const storage_watch&) = delete;
  storage_watch& operator=(const storage_watch&) = delete;

  /// The roots as last read, in the order given. Never blocks on a file system.
  std::vector<root> snapshot() const;

  struct shared;

private:
  std::shared_ptr<shared> state_;
};

}  // namespace gp::io
