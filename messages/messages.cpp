#include "messages/messages.hpp"

#include <caf/actor_system_config.hpp>

#include "messages/auth.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"
#include "messages/requests.hpp"
#include "messages/status.hpp"

namespace gp {

const char* to_string(errc x) {
  switch (x) {
    case errc::none: return "none";
    case errc::database_unavailable: return "database_unavailable";
    case errc::database_timeout: return "database_timeout";
    case errc::database_error: return "database_error";
    case errc::schema_not_ready: return "schema_not_ready";
    case errc::unauthorized: return "unauthorized";
    case errc::invalid_input: return "invalid_input";
    case errc::internal: return "internal";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
  }
  return "unknown";
}

std::string error_detail(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() > 0 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

bool is(const caf::error& err, errc code) {
  return err.category() == caf::atom("gp") && err.code() == static_cast<uint8_t>(code);
}

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<db_health>("gp.db_health");
  cfg.add_message_type<status_report>("gp.status_report");
  cfg.add_message_type<principal>("gp.principal");
  cfg.add_message_type<request_status>("gp.request_status");
  cfg.add_message_type<job_status>("gp.job_status");
  cfg.add_message_type<job_submission>("gp.job_submission");
  cfg.add_message_type<job_event>("gp.job_event");
  cfg.add_message_type<request_job>("gp.request_job");
  cfg.add_message_type<request_view>("gp.request_view");
  cfg.add_message_type<request_submission>("gp.request_submission");
  cfg.add_message_type<submit_answer>("gp.submit_answer");
  cfg.add_error_category(caf::atom("gp"),
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = to_string(static_cast<errc>(code));
                           if (ctx.size() > 0 && ctx.match_element<std::string>(0))
                             out += ": " + ctx.get_as<std::string>(0);
                           return out;
                         });
}

}  // namespace gp
