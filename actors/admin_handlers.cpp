#include "actors/admin_handlers.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "actors/edge_metering.hpp"
#include "io/crypto.hpp"
#include "io/http/admin_codec.hpp"
#include "io/http/client_codec.hpp"
#include "io/http/json_body.hpp"
#include "io/http/paging.hpp"
#include "io/http/problem.hpp"
#include "io/http/router.hpp"
#include "io/logging.hpp"
#include "io/validate.hpp"
#include "messages/atoms.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;
using io::http::problem;

/// Five keys drawn at once: the first whose 8-character id is free is used (a collision is
/// rare; five in a row mean something is wrong).
std::vector<db::key_candidate> draw_keys() {
  std::vector<db::key_candidate> out;
  for (int i = 0; i < 5; ++i) {
    auto k = io::generate_api_key();
    out.push_back({k.key, k.key_id, k.hash});
  }
  return out;
}

/// This node stops trusting what it knew of a key at once (other nodes within their auth cache
/// lifetime).
void forget_key(edge_self* self, const std::string& key_id) {
  self->send(self->state.peers.auth, invalidate_atom_v, key_id);
  auto& verdicts = self->state.verdicts;
  for (auto i = verdicts.begin(); i != verdicts.end();)
    i = i->second.key_id == key_id ? verdicts.erase(i) : std::next(i);
}

/// A client id from the path: a malformed one names no client.
bool known_shape(const std::string& client_id) { return io::check_client_id(client_id).empty(); }

}  // namespace

void handle_admin_clients(edge_self* self, http_call call) {
  auto reply = call.reply;
  with_db(self, call, db::list_clients{}, [reply](const db::list_clients::result& list) {
    auto arr = json::array();
    for (const auto& r : list.rows)
      arr.push_back(io::http::to_json(r));
    reply(json_response(200, {{"clients", arr}}));
  });
}

void handle_admin_create_client(edge_self* self, http_call call, const principal& who,
                                const json& body) {
  std::vector<io::http::field_error> errors;
  auto row = io::http::parse_client_create(body, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  row.webhook_secret = io::generate_webhook_secret();
  auto reply = call.reply;
  auto by = audit_of(who, call);
  with_db(self, call, db::create_client{row, by},
          [reply, row, by](const db::create_client::result& made) {
    if (!made.client)
      return reply(problem(409, "conflict", "client " + row.client_id + " already exists"));
    GP_LOG_INFO("admin: client {} created by {}", row.client_id, by.actor);
    auto out = io::http::to_json(*made.client);
    out["webhook_secret"] = row.webhook_secret;
    auto r = json_response(201, out);
    r.headers.emplace_back("Location", "/admin/clients/" + row.client_id);
    reply(std::move(r));
  });
}

void handle_admin_get_client(edge_self* self, http_call call, const std::string& client_id) {
  auto reply = call.reply;
  if (!known_shape(client_id))
    return reply(problem(404, "not_found", "no client " + client_id));
  with_db(self, call, db::find_client{client_id},
          [reply, client_id](const db::find_client::result& r) {
            if (!r.client)
              return reply(problem(404, "not_found", "no client " + client_id));
            reply(json_response(200, io::http::to_json(*r.client)));
          });
}

void handle_admin_patch_client(edge_self* self, http_call call, const principal& who,
                               const std::string& client_id, const json& body) {
  if (!known_shape(client_id))
    return call.reply(problem(404, "not_found", "no client " + client_id));
  std::vector<io::http::field_error> errors;
  auto changes = io::http::parse_client_patch(body, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  auto reply = call.reply;
  auto by = audit_of(who, call);
  with_db(self, call, db::update_client{client_id, changes, by},
          [reply, client_id, by](const db::update_client::result& r) {
            if (!r.client)
              return reply(problem(404, "not_found", "no client " + client_id));
            GP_LOG_INFO("admin: client {} changed by {}", client_id, by.actor);
            reply(json_response(200, io::http::to_json(*r.client)));
          });
}

void handle_admin_keys(edge_self* self, http_call call) {
  auto client = io::http::query_param(call.req.query, "client")
                  .value_or(io::http::query_param(call.req.query, "client_id").value_or(""));
  auto reply = call.reply;
  with_db(self, call, db::list_keys{client}, [reply](const db::list_keys::result& list) {
    auto arr = json::array();
    for (const auto& r : list.rows)
      arr.push_back(io::http::to_json(r));
    reply(json_response(200, {{"keys", arr}}));
  });
}

void handle_admin_create_key(edge_self* self, http_call call, const principal& who,
                             const json& body) {
  std::vector<io::http::field_error> errors;
  auto req = io::http::parse_key_request(body, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  api_key_row row;
  row.client_id = req.client_id;
  row.access_level = req.access_level;
  row.expires_at = req.expires_at;
  row.allowed_endpoints = req.allowed_endpoints;
  row.description = req.description;
  auto reply = call.reply;
  auto by = audit_of(who, call);
  with_db(self, call, db::create_key{row, draw_keys(), by},
          [reply, row, by](const db::create_key::result& made) {
            using outcome = persistence::create_key_outcome;
            switch (made.outcome) {
              case outcome::unknown_client:
                return reply(io::http::validation_problem({{"client_id", "no such client"}}));
              case outcome::expiry_not_in_future:
                return reply(
                  io::http::validation_problem({{"expires_at", "must be in the future"}}));
              case outcome::id_taken:
                return reply(problem(500, "internal", "could not allocate a unique key id"));
              case outcome::created:
                break;
            }
            GP_LOG_INFO("admin: created {} key {} for client {} by {}", row.access_level,
                        made.key.key_id, row.client_id, by.actor);
            reply(json_response(
              201, {{"key", made.key.key},
                    {"key_id", made.key.key_id},
                    {"client_id", row.client_id},
                    {"access_level", row.access_level},
                    {"expires_at", io::http::string_or_null(made.expires_at)},
                    {"allowed_endpoints",
                     row.allowed_endpoints ? json(*row.allowed_endpoints) : json()}}));
          });
}

void handle_admin_rotate_key(edge_self* self, http_call call, const principal& who,
                             const std::string& key_id) {
  json body;
  if (!call.req.body.empty())
    if (auto bad = io::http::parse_json_body(call.req, body))
      return call.reply(std::move(*bad));
  std::vector<io::http::field_error> errors;
  auto req =
    io::http::parse_key_rotate(body, self->state.opts.key_rotation_overlap.count(), errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  db::rotate_key op{key_id, draw_keys(), req.expires_at, req.overlap_seconds, audit_of(who, call)};
  auto reply = call.reply;
  auto by = op.by;
  with_db(self, call, std::move(op), [self, reply, key_id, by](const db::rotate_key::result& r) {
    using k = persistence::key_rotation;
    switch (r.rotation.outcome) {
      case k::missing: return reply(problem(404, "not_found", "no key " + key_id));
      case k::not_active:
        return reply(problem(409, "conflict",
                             "key " + key_id + " is revoked or expired; create a new key instead"));
      case k::already_rotated:
        return reply(problem(409, "conflict",
                             "key " + key_id + " was already rotated to " + r.rotation.rotated_to));
      case k::expiry_not_in_future:
        return reply(io::http::validation_problem({{"expires_at", "must be in the future"}}));
      case k::id_taken: return reply(problem(500, "internal", "could not allocate a unique key id"));
      case k::rotated: break;
    }
    // The old key's new expiry applies on this node at once.
    forget_key(self, key_id);
    const auto& row = r.rotation.row;
    GP_LOG_INFO("admin: key {} rotated to {} by {}", key_id, row.key_id, by.actor);
    reply(json_response(201, {{"key", r.key.key},
                              {"key_id", row.key_id},
                              {"client_id", row.client_id},
                              {"access_level", row.access_level},
                              {"expires_at", io::http::string_or_null(row.expires_at)},
                              {"allowed_endpoints",
                               row.allowed_endpoints ? json(*row.allowed_endpoints) : json()},
                              {"replaces", key_id},
                              {"old_key_expires_at", r.rotation.old_expires_at}}));
  });
}

void handle_admin_revoke_key(edge_self* self, http_call call, const principal& who,
                             const std::string& key_id) {
  auto reply = call.reply;
  auto by = audit_of(who, call);
  with_db(self, call, db::revoke_key{key_id, by}, [self, reply, key_id, by](bool revoked) {
    if (!revoked)
      return reply(problem(404, "not_found", "no active key " + key_id));
    GP_LOG_INFO("admin: revoked key {} by {}", key_id, by.actor);
    forget_key(self, key_id);
    reply(json_response(200, {{"key_id", key_id}, {"state", "revoked"}}));
  });
}

void handle_admin_audit(edge_self* self, http_call call) {
  std::vector<io::http::field_error> errors;
  auto page = io::http::parse_page_query(
    call.req.query, {},
    [](const std::string& c) {
      return !c.empty() && c.size() <= 18 && c.find_first_not_of("0123456789") == std::string::npos;
    },
    errors);
  auto target = io::http::query_param(call.req.query, "target").value_or("");
  if (target.size() > 200)
    errors.push_back({"target", "must be at most 200 characters, e.g. client:ddh or key:ab12cd34"});
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  db::list_audit op{target, page.cursor.empty() ? 0 : std::stoll(page.cursor), page.limit + 1};
  auto reply = call.reply;
  auto limit = page.limit;
  with_db(self, call, std::move(op), [reply, limit](const db::list_audit::result& r) {
    auto out = json::array();
    for (size_t i = 0; i < r.rows.size() && i < static_cast<size_t>(limit); ++i)
      out.push_back(io::http::to_json(r.rows[i]));
    json next = r.rows.size() > static_cast<size_t>(limit)
                  ? json(std::to_string(r.rows[static_cast<size_t>(limit) - 1].audit_id))
                  : json();
    reply(json_response(200, {{"entries", out}, {"next_cursor", next}}));
  });
}

void handle_admin_usage(edge_self* self, http_call call) {
  std::vector<io::http::field_error> errors;
  persistence::usage_query q;
  const auto& query = call.req.query;
  q.client_id = io::http::query_param(query, "client").value_or("");
  if (!q.client_id.empty() && !known_shape(q.client_id))
    errors.push_back({"client", io::check_client_id(q.client_id)});
  q.from = io::http::query_param(query, "from").value_or("");
  if (!q.from.empty() && !io::check_rfc3339(q.from).empty())
    errors.push_back({"from", io::check_rfc3339(q.from)});
  q.to = io::http::query_param(query, "to").value_or("");
  if (!q.to.empty() && !io::check_rfc3339(q.to).empty())
    errors.push_back({"to", io::check_rfc3339(q.to)});
  q.granularity = io::http::query_param(query, "granularity").value_or("hour");
  if (q.granularity != "hour" && q.granularity != "day")
    errors.push_back({"granularity", "must be hour or day"});
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  // This node's own counts go in first, so the calls made just before are in the answer (other
  // nodes' within their flush interval).
  flush_usage(self, [self, call, q] {
    auto reply = call.reply;
    with_db(self, call, db::read_usage{q}, [reply, q](const db::read_usage::result& r) {
      auto rows = json::array();
      for (const auto& u : r.rows)
        rows.push_back(io::http::to_json(u));
      reply(json_response(200, {{"granularity", q.granularity},
                                {"from", io::http::string_or_null(q.from)},
                                {"to", io::http::string_or_null(q.to)},
                                {"usage", rows}}));
    });
  });
}

}  // namespace gp
