#include "io/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

namespace gp::io::metrics {

histogram::histogram(std::initializer_list<double> bounds) {
  for (double b : bounds) {
    if (n_ == max_bounds)
      break;
    bounds_[n_++] = b;
  }
}

void histogram::observe(double seconds) noexcept {
  // Negative, NaN and absurd values are clamped: the sum is kept in integer nanoseconds, and a
  // year a value keeps it from wrapping for centuries of observations.
  if (!(seconds > 0))
    seconds = 0;
  else if (seconds > max_seconds)
    seconds = max_seconds;
  size_t i = 0;
  while (i < n_ && seconds > bounds_[i])
    ++i;
  // Only the first bucket that holds the value is counted; read() makes them cumulative.
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i < n_; ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.buckets.emplace_back(bounds_[i], running);
  }
  running += buckets_[n_].load(std::memory_order_relaxed);
  // Observations racing with the read may make count differ from the buckets by a few: the
  // format wants +Inf equal to _count, so both are the buckets' total.
  s.count = running;
  s.sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char ch : v) {
    if (ch == '\\')
      out += "\\\\";
    else if (ch == '"')
      out += "\\\"";
    else if (ch == '\n')
      out += "\\n";
    else
      out += ch;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // The shortest text that reads back as the same double.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string{"NaN"};
}

void text_writer::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ");
  // HELP text escapes backslash and line feed only.
  for (char ch : help) {
    if (ch == '\\')
      out_ += "\\\\";
    else if (ch == '\n')
      out_ += "\\n";
    else
      out_ += ch;
  }
  out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void text_writer::single(std::string_view name, std::string_view type, std::string_view help,
                         double value) {
  family(name, type, help);
  sample(name, {}, value);
}

void text_writer::sample(std::string_view name, const labels& l, double value) {
  out_.append(name);
  if (!l.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : l) {
      if (!first)
        out_ += ',';
      first = false;
      out_.append(k).append("=\"").append(escape_label(v)).append("\"");
    }
    out_ += '}';
  }
  out_.append(" ").append(format_value(value)).append("\n");
}

void text_writer::histogram(std::string_view name, const labels& l,
                            const histogram::snapshot& h) {
  std::string bucket{name};
  bucket += "_bucket";
  auto with_le = l;
  with_le.emplace_back("le", "");
  for (const auto& [bound, n] : h.buckets) {
    with_le.back().second = format_value(bound);
    sample(bucket, with_le, static_cast<double>(n));
  }
  with_le.back().second = "+Inf";
  sample(bucket, with_le, static_cast<double>(h.count));
  sample(std::string{name} + "_sum", l, h.sum);
  sample(std::string{name} + "_count", l, static_cast<double>(h.count));
}

namespace {

/// The number at the start of `text` (leading blanks skipped); nothing when there is none.
std::optional<double> number_in(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  std::string copy{text};
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str())
    return std::nullopt;
  return v;
}

}  // namespace

process_stats read_process_stats() {
  // Never throws: what cannot be read or parsed stays -1 (and is left out of the exposition).
  process_stats p;
  {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      std::string_view l{line};
      if (l.rfind("VmRSS:", 0) == 0) {
        if (auto kib = number_in(l.substr(6)))
          p.resident_bytes = *kib * 1024;  // the kernel writes kB
      } else if (l.rfind("Threads:", 0) == 0) {
        if (auto n = number_in(l.substr(8)))
          p.threads = *n;
      }
    }
  }
  if (auto* dir = opendir("/proc/self/fd")) {
    int n = 0;
    while (auto* e = readdir(dir))
      if (e->d_name[0] != '.')
        ++n;
    closedir(dir);
    p.open_fds = n - 1;  // the directory being read is one of them
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    p.max_fds = static_cast<double>(lim.rlim_cur);
  // /proc/self/stat: after the parenthesised command name, fields 14 and 15 (user and system
  // time) and 22 (start time since boot), in clock ticks; /proc/stat's btime is the boot time.
  std::ifstream stat("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  long ticks = sysconf(_SC_CLK_TCK);
  if (close == std::string::npos || close + 2 > all.size() || ticks <= 0)
    return p;
  std::istringstream rest(all.substr(close + 2));
  std::vector<std::string> f;
  std::string word;
  while (rest >> word)
    f.push_back(word);
  // f[0] is field 3 (state): field k is f[k - 3].
  if (f.size() <= 19)
    return p;
  auto utime = number_in(f[11]), stime = number_in(f[12]), start = number_in(f[19]);
  if (utime && stime)
    p.cpu_seconds = (*utime + *stime) / static_cast<double>(ticks);
  std::ifstream boot("/proc/stat");
  std::string line;
  while (std::getline(boot, line))
    if (line.rfind("btime ", 0) == 0)
      if (auto btime = number_in(std::string_view{line}.substr(6)); btime && start)
        p.start_time_seconds = *btime + *start / static_cast<double>(ticks);
  return p;
}

}  // namespace gp::io::metrics
