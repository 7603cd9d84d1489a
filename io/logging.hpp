#pragma once
// Logging over spdlog: human text or JSON lines, with secrets scrubbed from every line.
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace gp::io {

/// Output shape of log lines.
enum class log_format { text, json };

/// Installs the process-wide logger writing to stderr. `level` is an spdlog level name.
void setup_logging(const std::string& level, log_format format);

/// `msg` with API keys (gp_<id>_<secret> → gp_<id>_***), URI passwords, `password=` values and
/// webhook secrets (whsec_…) masked. Applied to every log line by the formatter.
std::string redact_secrets(std::string_view msg);

/// One JSON log line (no trailing newline) — valid JSON even for quotes and invalid UTF-8.
std::string format_json_line(std::string_view timestamp, std::string_view level,
                             std::string_view message);

/// Whether a line at `level` would be written (check before building an event's fields).
bool log_enabled(spdlog::level::level_enum level);

/// One structured event line: `msg` for people, `fields` (a JSON object's text, e.g. nlohmann's
/// dump) for programs. In JSON format the line is one object: "ts", "level", "event", "msg", then
/// the fields' members. In text format it is "<ts> <level> <msg>", a tab, and the fields as a
/// JSON object that starts with "event".
void log_event(spdlog::level::level_enum level, std::string_view event, std::string_view msg,
               std::string_view fields);

/// The line of an event as log_event writes it in JSON format (no trailing newline).
std::string format_json_event(std::string_view timestamp, std::string_view level,
                              std::string_view event, std::string_view msg,
                              std::string_view fields);

/// `fields` (a JSON object's text) with "event" as its first member.
std::string event_fields(std::string_view event, std::string_view fields);

}  // namespace gp::io

// The project's logging macros: say who (actor, request id, cid=…), what and why.
#define GP_LOG_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define GP_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define GP_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define GP_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define GP_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
