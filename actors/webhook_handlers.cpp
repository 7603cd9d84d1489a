// The webhook routes of the http_edge actor (docs/webhooks.md): a client's deliveries of one
// request, one delivery, a test ping; the admin's listing, redelivery and secret rotation.
// Deliveries of another client are 404, as its requests are.
#include <ctime>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "actors/webhook_handlers.hpp"
#include "io/crypto.hpp"
#include "io/http/paging.hpp"
#include "io/http/problem.hpp"
#include "io/http/router.hpp"
#include "io/http/submit_codec.hpp"
#include "io/logging.hpp"
#include "io/webhooks/payload.hpp"
#include "messages/atoms.hpp"
#include "messages/webhooks.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;
using io::http::problem;

using io::webhooks::is_delivery_id;

std::vector<std::string> delivery_status_words() {
  std::vector<std::string> out;
  for (auto s : all_delivery_statuses)
    out.emplace_back(name_of(s));
  return out;
}

/// A page of deliveries with its next cursor (one more row than the page was read).
json delivery_page(const std::vector<webhook_delivery>& rows, int limit, const std::string& base) {
  auto out = json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i)
    out.push_back(io::webhooks::delivery_json(rows[i], base));
  json next = rows.size() > static_cast<size_t>(limit)
                ? json(rows[static_cast<size_t>(limit) - 1].delivery_id)
                : json();
  return {{"deliveries", out}, {"next_cursor", next}};
}

void list(edge_self* self, const http_call& call, persistence::delivery_filter filter) {
  auto reply = call.reply;
  auto limit = filter.limit;
  filter.limit = limit + 1;
  auto base = self->state.opts.public_base_url;
  with_db(self, call, db::list_deliveries{std::move(filter)},
          [reply, limit, base](const db::list_deliveries::result& r) {
            reply(json_response(200, delivery_page(r.deliveries, limit, base)));
          });
}

}  // namespace

void handle_request_webhooks(edge_self* self, http_call call, const principal& who,
                             const std::string& request_id) {
  auto reply = call.reply;
  if (!io::http::is_hex_id(request_id, 32))
    return reply(problem(404, "not_found", "no request " + request_id));
  std::vector<io::http::field_error> errors;
  auto page = io::http::parse_page_query(call.req.query, delivery_status_words(),
                                         is_delivery_id, errors);
  if (!errors.empty())
    return reply(io::http::validation_problem(errors));
  auto scope = client_scope(who);
  // The request first: another client's request is 404 whether or not it has deliveries.
  with_db(self, call, db::find_request{request_id},
          [self, call, scope, request_id, page](const db::find_request::result& r) {
            if (!r.row || (!scope.empty() && r.row->client_id != scope))
              return call.reply(problem(404, "not_found", "no request " + request_id));
            persistence::delivery_filter f;
            f.client_id = scope;
            f.request_id = request_id;
            f.status = parse_delivery_status(page.status);
            f.after = page.cursor;
            f.limit = page.limit;
            list(self, call, std::move(f));
          });
}

void handle_webhook_get(edge_self* self, http_call call, const principal& who,
                        const std::string& delivery_id) {
  auto reply = call.reply;
  if (!is_delivery_id(delivery_id))
    return reply(problem(404, "not_found", "no delivery " + delivery_id));
  auto base = self->state.opts.public_base_url;
  with_db(self, call, db::find_delivery{delivery_id, client_scope(who)},
          [reply, base, delivery_id](const db::find_delivery::result& r) {
            if (!r.delivery)
              return reply(problem(404, "not_found", "no delivery " + delivery_id));
            reply(json_response(200, io::webhooks::delivery_json(*r.delivery, base)));
          });
}

void handle_webhook_test(edge_self* self, http_call call, const principal& who,
                         const nlohmann::json& body) {
  std::vector<io::http::field_error> errors;
  auto url = io::http::string_field(body, "url", true, errors);
  for (const auto& [k, v] : body.items())
    if (k != "url")
      errors.push_back({k, "is not a member of a test request (only url)"});
  if (url.size() > 2048)
    errors.push_back({"url", "must be at most 2048 characters"});
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  if (who.client_id.empty())
    return call.reply(problem(400, "validation_error", "this key belongs to no client"));
  auto client = who.client_id;
  with_db(self, call, db::callback_hosts{client},
          [self, call, client, url](const db::callback_hosts::result& h) {
            if (auto why = io::http::check_callback_url(url, h.hosts); !why.empty())
              return call.reply(io::http::validation_problem({{"url", why}}));
            auto payload = io::webhooks::ping_payload(client, url, std::time(nullptr));
            auto base = self->state.opts.public_base_url;
            auto reply = call.reply;
            with_db(self, call, db::insert_ping{client, url, payload},
                    [self, reply, base](const db::insert_ping::result& r) {
                      self->send(self->state.peers.webhooks, work_atom_v);
                      auto self_url = base + "/platform/webhooks/" + r.delivery_id;
                      auto waiting = std::string{name_of(delivery_status::pending)};
                      auto resp = json_response(202, {{"delivery_id", r.delivery_id},
                                                      {"event", "platform.ping"},
                                                      {"status", waiting},
                                                      {"links", {{"self", self_url}}}});
                      resp.headers.emplace_back("Location", self_url);
                      reply(std::move(resp));
                    });
          });
}

void handle_admin_webhooks(edge_self* self, http_call call) {
  const auto& q = call.req.query;
  std::vector<io::http::field_error> errors;
  auto page = io::http::parse_page_query(q, delivery_status_words(), is_delivery_id, errors);
  persistence::delivery_filter f;
  f.request_id = io::http::query_param(q, "request_id").value_or("");
  if (!f.request_id.empty() && !io::http::is_hex_id(f.request_id, 32))
    errors.push_back({"request_id", "must be a request id (32 lowercase hex characters)"});
  f.client_id = io::http::query_param(q, "client_id").value_or("");
  if (f.client_id.size() > 50)
    errors.push_back({"client_id", "must be at most 50 characters"});
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  f.status = parse_delivery_status(page.status);
  f.after = page.cursor;
  f.limit = page.limit;
  list(self, call, std::move(f));
}

void handle_admin_redeliver(edge_self* self, http_call call, const principal& who,
                            const std::string& delivery_id) {
  auto reply = call.reply;
  if (!is_delivery_id(delivery_id))
    return reply(problem(404, "not_found", "no delivery " + delivery_id));
  auto key = who.key_id;
  auto base = self->state.opts.public_base_url;
  with_db(self, call, db::redeliver{delivery_id, audit_of(who, call)},
          [self, reply, key, base, delivery_id](const db::redeliver::result& r) {
            using persistence::redelivery;
            if (r.outcome == redelivery::missing)
              return reply(problem(404, "not_found", "no delivery " + delivery_id));
            if (r.outcome == redelivery::in_flight)
              return reply(problem(409, "conflict",
                                   "delivery " + delivery_id +
                                     " is being attempted now; ask again when it ends"));
            GP_LOG_INFO("admin: delivery {} queued again by key {}", delivery_id, key);
            self->send(self->state.peers.webhooks, work_atom_v);
            auto self_url = base + "/platform/webhooks/" + delivery_id;
            reply(json_response(202, {{"delivery_id", delivery_id},
                                      {"status", std::string{name_of(delivery_status::pending)}},
                                      {"links", {{"self", self_url}}}}));
          });
}

void handle_admin_rotate_secret(edge_self* self, http_call call, const principal& who,
                                const std::string& client_id) {
  auto reply = call.reply;
  auto secret = io::generate_webhook_secret();
  auto key = who.key_id;
  auto grace = self->state.opts.webhook_secret_grace;
  with_db(self, call, db::rotate_secret{client_id, secret, grace.count(), audit_of(who, call)},
          [reply, key, client_id, secret, grace](const db::rotate_secret::result& r) {
            if (!r.previous_valid_until)
              return reply(problem(404, "not_found", "no client " + client_id));
            GP_LOG_INFO("admin: webhook secret of client {} rotated by key {}", client_id, key);
            reply(json_response(200, {{"client_id", client_id},
                                      {"webhook_secret", secret},
                                      {"previous_secret_valid_until", *r.previous_valid_until},
                                      {"grace_seconds", grace.count()}}));
          });
}

}  // namespace gp
