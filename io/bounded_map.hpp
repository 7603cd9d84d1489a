#pragma once
// A cache map that keeps at most `limit` entries and forgets the oldest inserted one first: one
// erase per insert past the limit. (Clearing a full cache at once, as the edge did, stalled
// every call behind it for a millisecond or two.) Entries are never erased otherwise.
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

namespace gp::io {

template <class V>
class bounded_map {
public:
  explicit bounded_map(std::size_t limit) : limit_{limit == 0 ? 1 : limit} {
    map_.reserve(limit_ + 1);
  }

  /// The entry of `key`, or nullptr.
  V* find(const std::string& key) {
    auto i = map_.find(key);
    return i == map_.end() ? nullptr : &i->second;
  }

  /// Inserts or replaces the entry of `key`; a replaced entry keeps its place in the order.
  V& put(const std::string& key, V value) {
    auto [i, fresh] = map_.insert_or_assign(key, std::move(value));
    if (fresh) {
      order_.push_back(key);
      if (map_.size() > limit_) {
        map_.erase(order_.front());
        order_.pop_front();
      }
    }
    return i->second;
  }

  std::size_t size() const { return map_.size(); }

  /// Forgets every entry.
  void clear() {
    map_.clear();
    order_.clear();
  }

private:
  std::size_t limit_;
  std::unordered_map<std::string, V> map_;
  std::deque<std::string> order_;
};

}  // namespace gp::io
