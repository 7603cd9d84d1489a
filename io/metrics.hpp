#pragma once
// Prometheus metrics without a client library: lock-free counters and fixed-bucket histograms
// that any thread may add to, and a writer for the text exposition format (version 0.0.4).
// Names and labels are the caller's; docs/monitoring.md lists the node's.
#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gp::io::metrics {

/// A count that only rises; relaxed atomic adds, no lock.
using counter = std::atomic<uint64_t>;

/// Bucket bounds in seconds for HTTP call latencies: 1 ms to 10 s.
inline constexpr std::initializer_list<double> http_buckets = {
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

/// Bucket bounds in seconds for work that takes seconds to hours (tasks, requests).
inline constexpr std::initializer_list<double> work_buckets = {
  0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

/// A cumulative histogram over fixed bounds (at most max_bounds of them). observe() is two or
/// three relaxed atomic adds; the sum is kept in nanoseconds so it needs no floating-point CAS.
class histogram {
public:
  static constexpr size_t max_bounds = 14;
  /// Larger observations count as this (a year).
  static constexpr double max_seconds = 365.0 * 86400;

  explicit histogram(std::initializer_list<double> bounds = http_buckets);

  /// Counts one observation of `seconds` (negative values count as 0).
  void observe(double seconds) noexcept;

  /// Observations so far.
  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

  /// The bounds and the cumulative count at or below each, then the +Inf count and the sum.
  struct snapshot {
    std::vector<std::pair<double, uint64_t>> buckets;
    uint64_t count = 0;
    double sum = 0;
  };
  snapshot read() const;

private:
  std::array<double, max_bounds> bounds_{};
  size_t n_ = 0;
  std::array<std::atomic<uint64_t>, max_bounds + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

/// Label pairs of one sample, in the order written.
using labels = std::vector<std::pair<std::string_view, std::string>>;

/// Writes the text exposition format: each family's HELP and TYPE once, then its samples.
class text_writer {
public:
  /// Starts a family. `type` is counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);

  /// One sample of the current family (or of `name` with a suffix such as _bucket).
  void sample(std::string_view name, const labels& l, double value);

  /// A family of one sample without labels.
  void single(std::string_view name, std::string_view type, std::string_view help, double value);

  /// The _bucket, _sum and _count samples of a histogram with these labels.
  void histogram(std::string_view name, const labels& l, const histogram::snapshot& h);

  /// The text so far; the writer is left empty.
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

/// A label value escaped for the exposition format (backslash, double quote, line feed).
std::string escape_label(std::string_view v);

/// A sample value as the format writes it: integers without a fraction, NaN and ±Inf by name.
std::string format_value(double v);

/// What the kernel says of this process (Linux /proc/self): resident memory, threads, open file
/// descriptors and start time. Fields are -1 when unreadable.
struct process_stats {
  double resident_bytes = -1;
  double threads = -1;
  double open_fds = -1;
  double max_fds = -1;
  double cpu_seconds = -1;
  double start_time_seconds = -1;
};
process_stats read_process_stats();

}  // namespace gp::io::metrics
