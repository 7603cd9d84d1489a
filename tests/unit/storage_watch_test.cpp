// The storage watch: roots read off the caller's thread, a read that does not answer reported
// (and never waited for), and a watch that stops while its thread is held.
#include "io/storage_watch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

using gp::io::disk_space;
using gp::io::storage_watch;
using namespace std::chrono_literals;

namespace {

/// A reader that answers at once until told to hold, then waits until released.
struct gate {
  std::mutex lock;
  std::condition_variable changed;
  bool hold = false;
  std::atomic<int> reads{0};
  std::atomic<int> held{0};

  void set(bool h) {
    {
      std::lock_guard<std::mutex> guard{lock};
      hold = h;
    }
    changed.notify_all();
  }
};

/// The watch's thread may outlive a test's watch: the reader shares the gate.
storage_watch::reader reader_of(std::shared_ptr<gate> g) {
  return [g](const std::string& path) -> std::optional<disk_space> {
    ++g->reads;
    std::unique_lock<std::mutex> guard{g->lock};
    if (g->hold) {
      ++g->held;
      g->changed.wait(guard, [&] { return !g->hold; });
    }
    if (path == "missing")
      return std::nullopt;
    return disk_space{1024 * 1024 * 5, 1024 * 1024 * 10};
  };
}

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds within = 5s) {
  auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (p())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

}  // namespace

TEST(storage_watch, the_first_answers_are_there_when_it_is_made) {
  auto dir = std::filesystem::temp_directory_path().string();
  storage_watch w{{{"bronze", dir}, {"silver", "/no/such/folder/here"}}, 1000ms};
  auto roots = w.snapshot();
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[0].name, "bronze");
  EXPECT_EQ(roots[0].path, dir);
  EXPECT_TRUE(roots[0].read);
  ASSERT_TRUE(roots[0].space.has_value());
  EXPECT_GT(roots[0].space->total_bytes, 0);
  EXPECT_GE(roots[0].space->total_bytes, roots[0].space->free_bytes);
  EXPECT_EQ(roots[0].waiting.count(), 0);
  EXPECT_TRUE(roots[1].read);
  EXPECT_FALSE(roots[1].space.has_value());
}

TEST(storage_watch, a_read_that_does_not_answer_is_reported_without_waiting_for_it) {
  auto g = std::make_shared<gate>();
  auto w = std::make_unique<storage_watch>(
    std::vector<std::pair<std::string, std::string>>{{"bronze", "a"}, {"silver", "missing"}},
    20ms, 100ms, reader_of(g));
  auto first = w->snapshot();
  ASSERT_TRUE(first[0].space.has_value());
  EXPECT_EQ(first[0].space->free_bytes, 5 * 1024 * 1024);
  EXPECT_FALSE(first[1].space.has_value());

  g->set(true);
  ASSERT_TRUE(eventually([&] { return g->held > 0; }));
  auto seen_held = std::chrono::steady_clock::now();
  // Held for less than 100 ms: the last answers, nothing waiting yet (checked only when this
  // thread was not held up itself for that long).
  auto early = w->snapshot();
  if (std::chrono::steady_clock::now() - seen_held < 50ms) {
    EXPECT_EQ(early[0].waiting.count() + early[1].waiting.count(), 0);
  }
  ASSERT_TRUE(eventually([&] {
    auto r = w->snapshot();
    return r[0].waiting >= 100ms || r[1].waiting >= 100ms;
  }));
  auto t0 = std::chrono::steady_clock::now();
  auto stuck = w->snapshot();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "a snapshot waited for the read";
  int held_root = stuck[0].waiting.count() > 0 ? 0 : 1;
  EXPECT_GE(stuck[held_root].waiting, 100ms);
  EXPECT_EQ(stuck[1 - held_root].waiting.count(), 0);

  g->set(false);
  ASSERT_TRUE(eventually([&] {
    auto r = w->snapshot();
    return r[0].waiting.count() == 0 && r[1].waiting.count() == 0;
  }));
}

TEST(storage_watch, it_stops_without_waiting_for_a_held_read) {
  auto g = std::make_shared<gate>();
  g->set(true);
  auto t0 = std::chrono::steady_clock::now();
  {
    // The first read is held: the constructor waits at most first_wait for it.
    storage_watch w{{{"bronze", "a"}}, 20ms, 50ms, reader_of(g), 100ms};
    auto roots = w.snapshot();
    EXPECT_FALSE(roots[0].read);
    EXPECT_FALSE(roots[0].space.has_value());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  // The thread, still held, ends once the read answers; nothing it touches is gone.
  int reads = g->reads;
  g->set(false);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(g->reads, reads) << "the watch read again after it was stopped";
}
