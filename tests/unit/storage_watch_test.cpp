// The storage watch: roots read off the caller's thread, a read that does not answer reported
// (and never waited for) while the other roots are still read, and a watch that stops while a
// thread of its is held.
#include "io/storage_watch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

using gp::io::disk_space;
using gp::io::storage_watch;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// A reader that answers at once, except for the path it is told to hold, which waits until
/// released.
struct gate {
  std::mutex lock;
  std::condition_variable changed;
  std::string hold;  // "*": every path
  std::map<std::string, int> reads;
  int held = 0;
  steady::time_point held_since;

  void set(std::string path) {
    {
      std::lock_guard<std::mutex> guard{lock};
      hold = std::move(path);
    }
    changed.notify_all();
  }
  int reads_of(const std::string& path) {
    std::lock_guard<std::mutex> guard{lock};
    return reads[path];
  }
};

/// A watch's threads may outlive a test's watch: the reader shares the gate.
storage_watch::reader reader_of(std::shared_ptr<gate> g) {
  return [g](const std::string& path) -> std::optional<disk_space> {
    std::unique_lock<std::mutex> guard{g->lock};
    ++g->reads[path];
    if (g->hold == "*" || g->hold == path) {
      ++g->held;
      g->held_since = steady::now();
      g->changed.wait(guard, [&] { return g->hold != "*" && g->hold != path; });
    }
    if (path == "missing")
      return std::nullopt;
    return disk_space{1024 * 1024 * 5, 1024 * 1024 * 10};
  };
}

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds within = 5s) {
  auto until = steady::now() + within;
  while (steady::now() < until) {
    if (p())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

}  // namespace

TEST(storage_watch, the_first_answers_are_there_when_it_is_made) {
  auto dir = std::filesystem::temp_directory_path().string();
  storage_watch w{{{"bronze", dir}, {"silver", "/no/such/folder/here"}}, 1000ms, 5000ms,
                  gp::io::space_of, 10s};
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
  EXPECT_EQ(roots[1].waiting.count(), 0);
}

TEST(storage_watch, a_root_that_does_not_answer_is_reported_and_the_others_are_still_read) {
  auto g = std::make_shared<gate>();
  storage_watch w{{{"bronze", "a"}, {"silver", "missing"}}, 20ms, 100ms, reader_of(g), 10s};
  auto first = w.snapshot();
  ASSERT_TRUE(first[0].space.has_value());
  EXPECT_EQ(first[0].space->free_bytes, 5 * 1024 * 1024);
  EXPECT_FALSE(first[1].space.has_value());

  g->set("a");
  ASSERT_TRUE(eventually([&] { return g->reads_of("a") > 0 && g->held > 0; }));
  // Held for less than 100 ms: the last answer, nothing waiting yet (checked only when this
  // thread was not held up itself for that long).
  auto early = w.snapshot();
  steady::time_point since;
  {
    std::lock_guard<std::mutex> guard{g->lock};
    since = g->held_since;
  }
  if (steady::now() - since < 50ms) {
    EXPECT_EQ(early[0].waiting.count(), 0);
  }
  ASSERT_TRUE(eventually([&] { return w.snapshot()[0].waiting >= 100ms; }));
  auto t0 = steady::now();
  auto stuck = w.snapshot();
  EXPECT_LT(steady::now() - t0, 1s) << "a snapshot waited for the read";
  EXPECT_GE(stuck[0].waiting, 100ms);
  ASSERT_TRUE(stuck[0].space.has_value()) << "the last answer is kept";
  // The other root is still read every 20 ms, and is not waiting.
  auto silver_reads = g->reads_of("missing");
  ASSERT_TRUE(eventually([&] { return g->reads_of("missing") >= silver_reads + 3; }));
  EXPECT_EQ(w.snapshot()[1].waiting.count(), 0);

  g->set("");
  ASSERT_TRUE(eventually([&] { return w.snapshot()[0].waiting.count() == 0; }));
}

TEST(storage_watch, it_stops_without_waiting_for_a_held_read) {
  auto g = std::make_shared<gate>();
  g->set("*");
  auto t0 = steady::now();
  {
    // The first read is held: the constructor waits at most first_wait for it, and the root,
    // with no answer yet, is waiting.
    storage_watch w{{{"bronze", "a"}}, 20ms, 50ms, reader_of(g), 100ms};
    auto roots = w.snapshot();
    EXPECT_FALSE(roots[0].read);
    EXPECT_FALSE(roots[0].space.has_value());
    EXPECT_GT(roots[0].waiting.count(), 0);
  }
  EXPECT_LT(steady::now() - t0, 2s);
  // The thread, still held, ends once the read answers; it reads nothing more.
  g->set("");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(g->reads_of("a"), 1) << "the watch read again after it was stopped";
}
