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

}  // namespace gp::io

// The project's logging macros: say who (actor, request id, cid=…), what and why.
#define GP_LOG_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define GP_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define GP_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define GP_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define GP_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
