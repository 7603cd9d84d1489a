#include "io/webhooks/retry_policy.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "io/utf8.hpp"

namespace gp::io::webhooks {

namespace {

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

/// An outcome of `d`'s claim: its id, and the fence the outbox writes it by (the claim's attempt
/// and lease end).
delivery_outcome outcome_of(const claimed_delivery& d) {
  delivery_outcome out;
  out.delivery_id = d.delivery_id;
  out.attempts = d.attempts;
  out.lease_us = d.lease_us;
  return out;
}

/// Why an answer was not a delivery, for last_error. What the receiver sent (its body's first
/// bytes, a Location) can be any bytes: it is kept as printable UTF-8, or the outcome's write
/// (and the batch written with it) would fail.
std::string answer_error(const attempt_report& r) {
  if (r.status == 0)
    return r.error.empty() ? "no answer" : io::printable_text(r.error, 500);
  std::string out = "the receiver answered " + std::to_string(r.status);
  if (r.status >= 300 && r.status < 400)
    out += r.location.empty()
             ? " (redirects are not followed)"
             : " with a redirect to " + io::printable_text(r.location, 200) + " (not followed)";
  else if (!r.error.empty())
    out += ": " + io::printable_text(r.error, 200);
  return out;
}

}  // namespace

std::optional<std::vector<std::chrono::milliseconds>> parse_schedule(const std::string& text,
                                                                     std::string* why) {
  std::vector<std::chrono::milliseconds> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = trimmed(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    size_t digits = 0;
    while (digits < item.size() && std::isdigit(static_cast<unsigned char>(item[digits])))
      ++digits;
    auto unit = item.substr(digits);
    int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : unit == "h" ? 3600000 : 0;
    if (digits == 0 || digits > 9 || scale == 0) {
      if (why)
        *why = "'" + item + "' is not a wait such as 500ms, 5s, 2m or 1h";
      return std::nullopt;
    }
    out.emplace_back(std::stoll(item.substr(0, digits)) * scale);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  if (out.empty()) {
    if (why)
      *why = "the schedule needs at least one wait";
    return std::nullopt;
  }
  return out;
}

std::optional<int64_t> retry_after_ms(const std::string& value, int64_t now) {
  auto v = trimmed(value);
  if (v.empty())
    return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    // Longer than any wait a cap allows: the longest nine digits say (the caller caps it).
    if (v.size() > 9)
      return int64_t{999999999} * 1000;
    return std::stoll(v) * 1000;
  }
  // An IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0')
    return std::nullopt;
  int64_t at = static_cast<int64_t>(timegm(&tm));
  return std::max<int64_t>(0, (at - now) * 1000);
}

delivery_outcome decide(const claimed_delivery& d, const attempt_report& r,
                        const retry_policy& policy, int64_t now, std::mt19937_64& rng) {
  auto out = outcome_of(d);
  out.status_code = r.status;
  if (r.status >= 200 && r.status < 300) {
    out.status = delivery_status::delivered;
    return out;
  }
  out.error = answer_error(r);
  if (r.status == 410) {
    out.status = delivery_status::failed;
    out.error = "the receiver answered 410 Gone: no further attempts";
    return out;
  }
  // A ping asks whether the receiver answers now: one attempt.
  if (d.event == "platform.ping") {
    out.status = delivery_status::failed;
    return out;
  }
  bool schedule_used = policy.steps.empty() || d.attempts > static_cast<int>(policy.steps.size());
  bool window_passed = now - d.retry_since >= policy.window.count();
  if (schedule_used && window_passed) {
    out.status = delivery_status::dead;
    return out;
  }
  out.status = delivery_status::pending;
  auto step = policy.steps.empty()
                ? std::chrono::milliseconds{1000}
                : policy.steps[std::min<size_t>(static_cast<size_t>(std::max(d.attempts, 1)) - 1,
                                                policy.steps.size() - 1)];
  std::uniform_int_distribution<int64_t> jitter{0, std::max<int64_t>(step.count(), 0)};
  out.retry_in_ms = jitter(rng);
  // A receiver that says when to come back is not asked sooner (nor later than the schedule
  // would: "Retry-After: 0" does not make a delivery hammer it).
  if ((r.status == 429 || r.status == 503) && !r.retry_after.empty())
    if (auto wait = retry_after_ms(r.retry_after, now))
      out.retry_in_ms = std::max(out.retry_in_ms,
                                 std::min<int64_t>(*wait, policy.max_retry_after.count() * 1000));
  return out;
}

delivery_outcome refuse(const claimed_delivery& d, std::string why) {
  auto out = outcome_of(d);
  out.status = delivery_status::failed;
  out.error = io::printable_text(why, 1000);
  return out;
}

delivery_outcome give_back(const claimed_delivery& d) {
  auto out = outcome_of(d);
  out.status = delivery_status::pending;
  out.attempted = false;
  return out;
}

}  // namespace gp::io::webhooks
