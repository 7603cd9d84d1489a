#include "io/storage_watch.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <pthread.h>

namespace gp::io {

/// What the watch and its thread share; the thread keeps it alive after the watch is gone.
struct storage_watch::shared {
  std::mutex lock;
  std::condition_variable wake;
  bool stopping = false;
  std::vector<root> roots;
  /// The root being read, and since when (valid while `reading`).
  bool reading = false;
  size_t current = 0;
  clock::time_point since;
  int rounds = 0;
  std::chrono::milliseconds every{1000};
  std::chrono::milliseconds unresponsive_after{5000};
  reader read;
};

namespace {

void watch(const std::shared_ptr<storage_watch::shared>& s) {
  std::unique_lock<std::mutex> guard{s->lock};
  while (!s->stopping) {
    for (size_t i = 0; i < s->roots.size() && !s->stopping; ++i) {
      auto path = s->roots[i].path;
      s->reading = true;
      s->current = i;
      s->since = storage_watch::clock::now();
      guard.unlock();
      auto space = s->read(path);
      guard.lock();
      s->reading = false;
      s->roots[i].read = true;
      s->roots[i].space = space;
    }
    ++s->rounds;
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
    root r;
    r.name = std::move(name);
    r.path = std::move(path);
    state_->roots.push_back(std::move(r));
  }
  state_->every = every;
  state_->unresponsive_after = unresponsive_after;
  state_->read = std::move(read);
  std::thread{[s = state_] {
    // Named for `top -H` and perf (it would inherit the name of the thread that started it).
    ::pthread_setname_np(::pthread_self(), "gp.storage");
    watch(s);
  }}.detach();
  std::unique_lock<std::mutex> guard{state_->lock};
  state_->wake.wait_for(guard, first_wait, [&] { return state_->rounds > 0; });
}

storage_watch::~storage_watch() {
  std::lock_guard<std::mutex> guard{state_->lock};
  state_->stopping = true;
  state_->wake.notify_all();
}

std::vector<storage_watch::root> storage_watch::snapshot() const {
  std::lock_guard<std::mutex> guard{state_->lock};
  auto out = state_->roots;
  if (state_->reading) {
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() -
                                                                       state_->since);
    if (waited >= state_->unresponsive_after)
      out[state_->current].waiting = waited;
  }
  return out;
}

}  // namespace gp::io
