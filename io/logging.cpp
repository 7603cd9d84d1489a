#include "io/logging.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "io/json_text.hpp"

namespace gp::io {

namespace {

bool is_base62(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; }

bool starts_with_ci(std::string_view s, size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > s.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[pos + i])) != prefix[i])
      return false;
  return true;
}

// Length of the token that ends a secret value (stops at space, quote, comma, ampersand...).
size_t value_end(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    char ch = s[pos];
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == '"' || ch == '\'' || ch == ',' ||
        ch == '&' || ch == ';' || ch == '}' || ch == ')')
      break;
    ++pos;
  }
  return pos;
}

// End of a secret value starting at `pos`: a quoted value ends at its closing quote, a bare one at
// white space, '&' (URI query) or the end.
size_t secret_end(std::string_view s, size_t pos) {
  if (pos < s.size() && (s[pos] == '"' || s[pos] == '\'')) {
    auto close = s.find(s[pos], pos + 1);
    return close == std::string_view::npos ? s.size() : close + 1;
  }
  while (pos < s.size() && !std::isspace(static_cast<unsigned char>(s[pos])) && s[pos] != '&')
    ++pos;
  return pos;
}

std::string iso_timestamp(std::chrono::system_clock::time_point tp) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp - secs).count();
  std::time_t t = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

/// Starts the payload of an event line (a control character no message text carries).
constexpr char event_marker = '\x1e';

class gp_formatter final : public spdlog::formatter {
public:
  explicit gp_formatter(log_format fmt) : fmt_(fmt) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ts = iso_timestamp(msg.time);
    auto level = spdlog::level::to_string_view(msg.level);
    std::string_view payload{msg.payload.data(), msg.payload.size()};
    std::string line;
    std::string_view lv{level.data(), level.size()};
    // An event (log_event): marker, name, marker, message, marker, fields. Its message is
    // scrubbed here; its fields were scrubbed value by value before they were encoded (scrubbing
    // encoded JSON could cut through a quote and spoil the object).
    if (!payload.empty() && payload[0] == event_marker) {
      std::string_view rest{payload};
      rest.remove_prefix(1);
      auto a = rest.find(event_marker);
      auto b = a == std::string_view::npos ? a : rest.find(event_marker, a + 1);
      auto event = rest.substr(0, a);
      auto said = a == std::string_view::npos ? std::string_view{} : rest.substr(a + 1, b - a - 1);
      auto fields = b == std::string_view::npos ? std::string_view{"{}"} : rest.substr(b + 1);
      auto clean = redact_secrets(said);
      line = fmt_ == log_format::json ? format_json_event(ts, lv, event, clean, fields)
                                      : ts + " " + std::string{lv} + " " + clean + "\t" +
                                          event_fields(event, fields);
    } else if (auto text = redact_secrets(payload); fmt_ == log_format::json) {
      line = format_json_line(ts, std::string_view{level.data(), level.size()}, text);
    } else {
      line = ts + " " + std::string{level.data(), level.size()} + " " + text;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<gp_formatter>(fmt_);
  }

private:
  log_format fmt_;
};

}  // namespace

std::string redact_secrets(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // API key: gp_<8 [a-z0-9]>_<base62...> — keep the public id, mask the secret.
    if (s.compare(i, 3, "gp_") == 0 && i + 12 <= s.size() && s[i + 11] == '_') {
      bool id_ok = true;
      for (size_t k = i + 3; k < i + 11; ++k)
        id_ok = id_ok && (std::islower(static_cast<unsigned char>(s[k])) ||
                          std::isdigit(static_cast<unsigned char>(s[k])));
      if (id_ok && i + 12 < s.size() && is_base62(s[i + 12])) {
        out.append(s.substr(i, 12));
        out += "***";
        i += 12;
        while (i < s.size() && is_base62(s[i]))
          ++i;
        continue;
      }
    }
    // Webhook secret.
    if (s.compare(i, 6, "whsec_") == 0) {
      out += "whsec_***";
      i = value_end(s, i + 6);
      continue;
    }
    // password=..., password: ..., "password": "..." (any case).
    if (starts_with_ci(s, i, "password")) {
      size_t j = i + 8;
      if (j < s.size() && (s[j] == '"' || s[j] == '\''))
        ++j;
      while (j < s.size() && s[j] == ' ')
        ++j;
      if (j < s.size() && (s[j] == '=' || s[j] == ':')) {
        ++j;
        while (j < s.size() && s[j] == ' ')
          ++j;
        out.append(s.substr(i, j - i));
        out += "***";
        i = secret_end(s, j);
        continue;
      }
    }
    // scheme://user:password@host
    if (s.compare(i, 3, "://") == 0) {
      size_t j = i + 3;
      size_t colon = std::string_view::npos;
      while (j < s.size() && s[j] != '@' && s[j] != '/' && s[j] != ' ' && s[j] != '"') {
        if (s[j] == ':' && colon == std::string_view::npos)
          colon = j;
        ++j;
      }
      if (j < s.size() && s[j] == '@' && colon != std::string_view::npos) {
        out.append(s.substr(i, colon + 1 - i));
        out += "***";
        i = j;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}


namespace {

/// Appends the members of the JSON object `fields` to `out`, which holds an object's members
/// and no closing brace yet; then closes it. `fields` that is empty or not an object adds none.
void close_with(std::string& out, std::string_view fields) {
  while (!fields.empty() && fields.front() == ' ')
    fields.remove_prefix(1);
  if (fields.size() > 2 && fields.front() == '{' && fields.back() == '}') {
    out += ',';
    out.append(fields.substr(1));
  } else {
    out += '}';
  }
}

}  // namespace

namespace {

/// Starts a JSON line: the object's ts and level members, room for `more` bytes after them.
std::string open_line(std::string_view timestamp, std::string_view level, size_t more) {
  std::string out;
  out.reserve(48 + more);
  out += "{\"ts\":";
  append_json_string(out, timestamp);
  out += ",\"level\":";
  append_json_string(out, level);
  return out;
}

}  // namespace

// Members in a fixed order (ts, level, [event,] msg), not nlohmann's sorted one, so every line
// starts alike; written by hand, since a line may be written for every call.
std::string format_json_line(std::string_view timestamp, std::string_view level,
                             std::string_view message) {
  auto out = open_line(timestamp, level, message.size());
  out += ",\"msg\":";
  append_json_string(out, message);
  out += '}';
  return out;
}

std::string format_json_event(std::string_view timestamp, std::string_view level,
                              std::string_view event, std::string_view msg,
                              std::string_view fields) {
  auto out = open_line(timestamp, level, event.size() + msg.size() + fields.size());
  out += ",\"event\":";
  append_json_string(out, event);
  out += ",\"msg\":";
  append_json_string(out, msg);
  close_with(out, fields);
  return out;
}

std::string event_fields(std::string_view event, std::string_view fields) {
  std::string out;
  out.reserve(16 + event.size() + fields.size());
  out += "{\"event\":";
  append_json_string(out, event);
  close_with(out, fields);
  return out;
}

bool log_enabled(spdlog::level::level_enum level) {
  auto* logger = spdlog::default_logger_raw();
  return logger && logger->should_log(level);
}

void log_event(spdlog::level::level_enum level, std::string_view event, std::string_view msg,
               std::string_view fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger || !logger->should_log(level))
    return;
  std::string payload;
  payload.reserve(event.size() + msg.size() + fields.size() + 3);
  payload += event_marker;
  payload.append(event);
  payload += event_marker;
  // The marker separates the parts: one inside the message would move the fields.
  for (char ch : msg)
    payload += ch == event_marker ? ' ' : ch;
  payload += event_marker;
  payload.append(fields);
  logger->log(level, "{}", payload);
}

void setup_logging(const std::string& level, log_format format) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("geoplatform", sink);
  logger->set_formatter(std::make_unique<gp_formatter>(format));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace gp::io
