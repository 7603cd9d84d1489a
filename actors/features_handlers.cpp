// The /features routes of the http_edge actor: OGC API - Features over the loaded vector layers.
// Parameters are checked here before any database work; the catalogue look-up and the page read
// run as one pool job, so a page costs one round trip to the pool.
#include "actors/features_handlers.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "io/http/features_codec.hpp"
#include "io/http/problem.hpp"
#include "messages/atoms.hpp"

namespace gp {

namespace {

using io::http::json_response;
using io::http::problem;

constexpr const char* geojson_type = "application/geo+json";

/// A page of up to 10000 features may take longer than a small admin query.
std::chrono::milliseconds features_timeout(edge_self* self) {
  return std::max<std::chrono::milliseconds>(self->state.opts.db_timeout,
                                             std::chrono::seconds(10));
}

io::http::response no_collection(const std::string& cid) {
  return problem(404, "not_found", "no collection " + cid);
}

/// Answers 400 for a bad query of a route that takes only `f`; true when it did.
bool refuse_query(const http_call& call, bool geojson_too) {
  std::vector<io::http::field_error> errors;
  io::http::check_plain_query(call.req.query, geojson_too, errors);
  if (errors.empty())
    return false;
  call.reply(io::http::validation_problem(errors));
  return true;
}

}  // namespace

void handle_features_landing(edge_self* self, http_call call) {
  if (refuse_query(call, false))
    return;
  call.reply(json_response(200, io::http::features_landing(self->state.opts.public_base_url)));
}

void handle_features_conformance(edge_self*, http_call call) {
  if (refuse_query(call, false))
    return;
  call.reply(json_response(200, io::http::features_conformance()));
}

void handle_features_collections(edge_self* self, http_call call, const principal& who) {
  if (refuse_query(call, false))
    return;
  auto scope = client_scope(who);
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  with_db(self, call, features_timeout(self), db::list_layers{scope},
          [reply, base](const db::list_layers::result& list) {
    reply(json_response(200, io::http::collections_body(list.layers, base)));
  });
}

void handle_features_collection(edge_self* self, http_call call, const principal& who,
                                const std::string& cid) {
  if (!io::http::is_collection_id(cid))
    return call.reply(no_collection(cid));
  if (refuse_query(call, false))
    return;
  auto scope = client_scope(who);
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  with_db(self, call, features_timeout(self), db::find_layer{cid, scope},
          [reply, base, cid](const db::find_layer::result& l) {
    if (!l.layer)
      return reply(no_collection(cid));
    reply(json_response(200, io::http::collection_body(*l.layer, base)));
  });
}

void handle_features_items(edge_self* self, http_call call, const principal& who,
                           const std::string& cid) {
  if (!io::http::is_collection_id(cid))
    return call.reply(no_collection(cid));
  std::vector<io::http::field_error> errors;
  auto selection = io::http::parse_items_query(call.req.query, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  auto scope = client_scope(who);
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  with_db(self, call, features_timeout(self), db::read_items{cid, scope, selection},
                        [reply, base, cid, selection](const db::read_items::result& a) {
                          if (!a.layer)
                            return reply(no_collection(cid));
                          io::http::response r;
                          r.content_type = geojson_type;
                          r.body = io::http::items_body(*a.layer, selection, a.page, base);
                          reply(std::move(r));
                        });
}

void handle_features_item(edge_self* self, http_call call, const principal& who,
                          const std::string& cid, const std::string& fid) {
  if (!io::http::is_collection_id(cid))
    return call.reply(no_collection(cid));
  auto id = io::http::parse_feature_id(fid);
  if (!id)
    return call.reply(problem(404, "not_found", "no feature " + fid + " in collection " + cid));
  if (refuse_query(call, true))
    return;
  auto scope = client_scope(who);
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  with_db(self, call, features_timeout(self), db::read_item{cid, scope, *id},
          [reply, base, cid, fid, id = *id](const db::read_item::result& a) {
    if (!a.layer)
      return reply(no_collection(cid));
    if (!a.feature)
      return reply(problem(404, "not_found", "no feature " + fid + " in collection " + cid));
    io::http::response r;
    r.content_type = geojson_type;
    r.body = io::http::item_body(*a.layer, id, *a.feature, base);
    reply(std::move(r));
  });
}

}  // namespace gp
