#pragma once
// The status board: the latest stored view of each known request, published by its request actor
// (or, for requests without one, by the registry) and read by the HTTP edge, so that a status
// poll or an identical resubmission is answered without a round trip through two actors. Views
// are immutable once published (shared, never copied per reader). Thread-safe: sharded maps
// under mutexes, held only to swap a pointer.
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "messages/requests.hpp"

namespace gp {

class status_board {
public:
  /// First 32 hex characters of SHA-256 over a submission's fingerprint.
  using fingerprint_t = std::array<char, 32>;

  struct entry {
    std::shared_ptr<const request_view> view;
    fingerprint_t fingerprint{};
    bool has_fingerprint = false;
  };

  /// Each shard reserves its part of reserved_live_requests (actors/sizing.hpp).
  status_board();

  /// Publishes a request's latest stored view, unless the board has a newer one (a higher
  /// state_version, or an ended view of the same version). Returns whether it was taken.
  bool publish(std::shared_ptr<const request_view> view);

  /// Records what a request was submitted with (for answering identical resubmissions).
  void set_fingerprint(const std::string& request_id, const fingerprint_t& fp);

  /// The entry of a request, if one was published.
  std::optional<entry> find(const std::string& request_id) const;

  void erase(const std::string& request_id);

  size_t size() const;

  /// Mean seconds from creation to completion of a request type (0 = unknown).
  void set_average(const std::string& request_type, double seconds);
  double average(const std::string& request_type) const;

  /// Seconds since the epoch at which `v` is expected to end (0 = unknown or ended).
  int64_t estimated_completion(const request_view& v) const;

  static fingerprint_t digest(const std::string& fingerprint);

private:
  static constexpr size_t shards = 16;
  struct shard {
    mutable std::mutex mtx;
    std::unordered_map<std::string, entry> map;
  };
  shard& of(const std::string& id) const;
  mutable std::array<shard, shards> shards_;
  mutable std::mutex averages_mtx_;
  std::map<std::string, double> averages_;
};

}  // namespace gp
