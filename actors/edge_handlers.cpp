#include "actors/edge_handlers.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "io/http/admin_codec.hpp"
#include "io/http/probes.hpp"
#include "io/http/problem.hpp"
#include "io/http/server.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;
using io::http::problem;

}  // namespace

io::http::response failure_response(const caf::error& err) {
  if (is(err, errc::schema_not_ready))
    return problem(503, "not_ready", "the database schema is not ready; try again shortly");
  if (is(err, errc::database_unavailable) || is(err, errc::database_timeout) ||
      err == caf::sec::request_timeout)
    return problem(503, "unavailable", "the database is unavailable; try again shortly");
  return problem(500, "internal", "an internal error occurred");
}

void handle_readyz(edge_self* self, http_call call) {
  if (self->state.draining)
    return call.reply(io::http::readiness_shutting_down());
  auto reply = call.reply;
  self->request(self->state.peers.pool, self->state.opts.db_timeout, db::check_readiness{})
    .then([reply](const db_health& h) { reply(io::http::readiness_response(h)); },
          [reply](const caf::error& err) {
            bool timed_out = is(err, errc::database_timeout) || err == caf::sec::request_timeout;
            reply(io::http::readiness_unavailable(timed_out));
          });
}

void handle_whoami(edge_self*, http_call call, const principal& who) {
  json body = {{"client_id", who.client_id},
               {"key_id", who.key_id},
               {"access_level", who.access_level},
               {"expires_at", io::http::string_or_null(who.expires_at)}};
  if (who.restricted)
    body["allowed_endpoints"] = who.allowed_endpoints;
  call.reply(json_response(200, body));
}


}  // namespace gp
