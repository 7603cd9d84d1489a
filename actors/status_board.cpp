#include "actors/status_board.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "actors/sizing.hpp"
#include "io/crypto.hpp"
#include "io/http/request_codec.hpp"

namespace gp {

status_board::status_board() {
  for (auto& s : shards_)
    s.map.reserve(reserved_live_requests / shards);
}

status_board::shard& status_board::of(const std::string& id) const {
  return shards_[std::hash<std::string>{}(id) % shards];
}

bool status_board::publish(std::shared_ptr<const request_view> view) {
  auto& s = of(view->request_id);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto& e = s.map[view->request_id];
  if (e.view && (e.view->state_version > view->state_version ||
                 (e.view->state_version == view->state_version &&
                  is_terminal(e.view->status) && !is_terminal(view->status))))
    return false;  // a late publisher (an actor a cancel overtook) does not undo newer state
  e.view = std::move(view);
  return true;
}

void status_board::set_fingerprint(const std::string& request_id, const fingerprint_t& fp) {
  auto& s = of(request_id);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto& e = s.map[request_id];
  e.fingerprint = fp;
  e.has_fingerprint = true;
}

std::optional<status_board::entry> status_board::find(const std::string& request_id) const {
  auto& s = of(request_id);
  std::lock_guard<std::mutex> guard{s.mtx};
  auto i = s.map.find(request_id);
  if (i == s.map.end())
    return std::nullopt;
  return i->second;
}

void status_board::erase(const std::string& request_id) {
  auto& s = of(request_id);
  std::lock_guard<std::mutex> guard{s.mtx};
  s.map.erase(request_id);
}

size_t status_board::size() const {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard{s.mtx};
    n += s.map.size();
  }
  return n;
}

void status_board::set_average(const std::string& request_type, double seconds) {
  std::lock_guard<std::mutex> guard{averages_mtx_};
  averages_[request_type] = seconds;
}

double status_board::average(const std::string& request_type) const {
  std::lock_guard<std::mutex> guard{averages_mtx_};
  auto i = averages_.find(request_type);
  return i == averages_.end() ? 0.0 : i->second;
}

int64_t status_board::estimated_completion(const request_view& v) const {
  if (is_terminal(v.status))
    return 0;
  auto avg = average(v.request_type);
  auto created = io::http::epoch_of(v.created_at);
  if (avg <= 0 || created <= 0)
    return 0;
  return created + static_cast<int64_t>(std::ceil(avg));
}

status_board::fingerprint_t status_board::digest(const std::string& fingerprint) {
  auto hex = io::sha256_hex(fingerprint);
  fingerprint_t out{};
  std::copy_n(hex.begin(), out.size(), out.begin());
  return out;
}

}  // namespace gp
