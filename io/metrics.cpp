#include "io/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
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
  if (!(seconds > 0))
    seconds = 0;
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
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
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

process_stats read_process_stats() {
  process_stats p;
  {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0)
        p.resident_bytes = std::stod(line.substr(6)) * 1024;  // the kernel writes kB
      else if (line.rfind("Threads:", 0) == 0)
        p.threads = std::stod(line.substr(8));
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
  // /proc/self/stat: the fields after the parenthesised command name, 14 and 15 (user and
  // system time) and 22 (start time), in clock ticks.
  std::ifstream stat("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  long ticks = sysconf(_SC_CLK_TCK);
  if (close != std::string::npos && ticks > 0) {
    std::istringstream rest(all.substr(close + 2));
    std::vector<std::string> f;
    std::string word;
    while (rest >> word)
      f.push_back(word);
    // f[0] is field 3 (state): field k is f[k - 3].
    if (f.size() > 19) {
      p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      std::ifstream boot("/proc/stat");
      std::string line;
      while (std::getline(boot, line))
        if (line.rfind("btime ", 0) == 0)
          p.start_time_seconds = std::stod(line.substr(6)) + std::stod(f[19]) / ticks;
    }
  }
  return p;
}

}  // namespace gp::io::metrics
