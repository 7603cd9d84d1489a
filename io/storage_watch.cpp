#include "io/storage_watch.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <pthread.h>

namespace gp::io {

/// What the watch and its threads share; each thread keeps it alive after the watch is gone.
/// One thread per root: a root whose file system stops answering holds its own thread only,
/// and the others are still read every interval.
struct storage_watch::shared {
  struct slot {
    root last;
    /// A read is under way, since `since`.
    bool reading = false;
    clock::time_point since;
  };
  std::mutex lock;
  std::condition_variable wake;
  bool stopping = false;
  std::vector<slot> slots;
  std::chrono::milliseconds every{1000};
  std::chrono::milliseconds unresponsive_after{5000};
  reader read;
};

namespace {

void watch(const std::shared_ptr<storage_watch::shared>& s, size_t i) {
  std::unique_lock<std::mutex> guard{s->lock};
  auto path = s->slots[i].last.path;
  while (!s->stopping) {
    s->slots[i].reading = true;
    s->slots[i].since = storage_watch::clock::now();
    guard.unlock();
    auto space = s->read(path);
    guard.lock();
    auto& slot = s->slots[i];
    slot.reading = false;
    slot.last.read = true;
    slot.last.space = space;
    s->wake.notify_all();
    s->wake.wait_for(guard, s->every, [&] { return s->stopping; });
  }
}

}  // namespace

storage_watch::storage_watch(std::vector<std::pair<std::string, std::string>> roots,
                             std::chrono::milliseconds every,
                             std::chrono::milliseconds unresponsive_after, reader read,
                             std::chrono::milliseconds first_wait)
  : state_(std::make_shared<shared>()) {
  for (auto& [name, path] : roots) {
    shared::slot s;
    s.last.name = std::move(name);
    s.last.path = std::move(path);
    state_->slots.push_back(std::move(s));
  }
  state_->every = every;
  state_->unresponsive_after = unresponsive_after;
  state_->read = std::move(read);
  for (size_t i = 0; i < state_->slots.size(); ++i)
    std::thread{[s = state_, i] {
      // Named for `top -H` and perf (it would inherit the name of the thread that started it).
      ::pthread_setname_np(::pthread_self(), "gp.storage");
      watch(s, i);
    }}.detach();
  std::unique_lock<std::mutex> guard{state_->lock};
  state_->wake.wait_for(guard, first_wait, [&] {
    return std::all_of(state_->slots.begin(), state_->slots.end(),
                       [](const shared::slot& s) { return s.last.read; });
  });
}

storage_watch::~storage_watch() {
  std::lock_guard<std::mutex> guard{state_->lock};
  state_->stopping = true;
  state_->wake.notify_all();
}

std::vector<storage_watch::root> storage_watch::snapshot() const {
  std::lock_guard<std::mutex> guard{state_->lock};
  std::vector<root> out;
  auto now = clock::now();
  for (const auto& s : state_->slots) {
    out.push_back(s.last);
    if (!s.reading)
      continue;
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.since);
    // A first read still under way counts however short: there is no answer to show instead.
    if (waited >= state_->unresponsive_after || !s.last.read)
      out.back().waiting = std::max(waited, std::chrono::milliseconds{1});
  }
  return out;
}

}  // namespace gp::io
