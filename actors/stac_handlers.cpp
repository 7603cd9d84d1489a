// The /platform/stac routes of the http_edge actor. Parameters are checked (io/stac) before any
// database work; each answer costs one round trip to the pool, or none when the answer cache
// holds it. The cache lives in the edge's state (only the edge touches it) and is emptied when
// the stac_catalog actor advances the shared generation (a catalogue write here, or a new
// catalogue version written by another node).
#include "actors/stac_handlers.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "io/http/features_codec.hpp"
#include "io/http/problem.hpp"
#include "io/stac/api_documents.hpp"
#include "io/stac/publication.hpp"
#include "io/stac/search_codec.hpp"
#include "persistence/stac_search.hpp"
#include "messages/atoms.hpp"

namespace gp {

namespace {

using io::http::json_response;
using io::http::problem;
using json = nlohmann::json;

constexpr const char* geojson_type = "application/geo+json";
/// Larger answers (large pages of large items) are not kept: the cache's memory stays within
/// its entries times this.
constexpr size_t max_cached_bytes = 256 * 1024;

std::string root_of(edge_self* self) { return self->state.opts.public_base_url + "/platform/stac"; }

/// A search may read many items; it may take longer than a small admin query.
std::chrono::milliseconds search_timeout(edge_self* self) {
  return std::max<std::chrono::milliseconds>(self->state.opts.db_timeout,
                                             std::chrono::seconds(10));
}

io::http::response no_collection(const std::string& cid) {
  return problem(404, "not_found", "no collection " + cid);
}

/// Answers 400 for a query on a route that takes none (but `f=json`); true when it did.
bool refuse_query(const http_call& call) {
  std::vector<io::http::field_error> errors;
  io::http::check_plain_query(call.req.query, false, errors);
  if (errors.empty())
    return false;
  call.reply(io::http::validation_problem(errors));
  return true;
}

/// The cached answer of `key`, if it is current.
const io::http::response* cached(edge_self* self, const std::string& key) {
  auto& st = self->state;
  if (!st.stac_cache)
    return nullptr;
  auto generation = st.peers.stac_generation->load();
  if (generation != st.stac_cache_generation) {
    st.stac_cache->clear();
    st.stac_cache_generation = generation;
    return nullptr;
  }
  auto* e = st.stac_cache->find(key);
  if (e == nullptr || e->generation != generation ||
      std::chrono::steady_clock::now() >= e->expires)
    return nullptr;
  return &e->response;
}

/// `call` answering through the cache: a 200 is kept under `key` unless the catalogue changed
/// while it was read (the generation is taken before the read).
http_call caching(edge_self* self, const http_call& call, std::string key) {
  if (!self->state.stac_cache)
    return call;
  auto generation = self->state.peers.stac_generation->load();
  http_call out{call.req, nullptr};
  out.reply = [self, reply = call.reply, key = std::move(key), generation](io::http::response r) {
    auto& st = self->state;
    if (r.status == 200 && r.body.size() <= max_cached_bytes && st.stac_cache &&
        st.peers.stac_generation->load() == generation)
      st.stac_cache->put(key, {generation,
                               std::chrono::steady_clock::now() + st.opts.stac_cache_ttl, r});
    reply(std::move(r));
  };
  return out;
}

/// The cache key of an answer for client `scope`.
std::string key_of(const std::string& scope, const std::string& route, const std::string& rest) {
  return scope + '\n' + route + '\n' + rest;
}

/// A token made for another sort order has another number of values: a 400 rather than an
/// empty page. True when it answered.
bool refuse_foreign_token(const http_call& call, const stac_search& s) {
  if (!s.position || s.position->values.size() == persistence::effective_sort(s).size())
    return false;
  call.reply(io::http::validation_problem(
    {{"token", "belongs to a search with another sortby: start again without it"}}));
  return true;
}

/// Runs a search and answers with its ItemCollection. `query` (GET) or `body` (POST) make the
/// paging links; `href` is the route's URL.
void run_search(edge_self* self, const http_call& call, db::search_stac op, std::string href,
                std::optional<std::string> query, std::optional<json> body,
                json extra_links = json::array()) {
  auto reply = call.reply;
  auto root = root_of(self);
  auto cid = op.search.collections.empty() ? std::string{} : op.search.collections.front();
  bool by_geometry = !op.search.intersects_geojson.empty();
  bool has_position = op.search.position.has_value();
  with_db(self, call, search_timeout(self), std::move(op),
          [=](const db::search_stac::result& a) {
    if (!a.collection_found)
      return reply(no_collection(cid));
    if (!a.refused.empty()) {
      auto why = a.refused.substr(0, a.refused.find('\n'));
      if (why.rfind("ERROR:", 0) == 0)
        why = why.substr(why.find_first_not_of(' ', 6));
      // PostgreSQL refused a value: a geometry PostGIS cannot read, or a forged token's value.
      bool geometry = why.find("eometry") != std::string::npos ||
                      why.find("GeoJSON") != std::string::npos;
      auto field = geometry ? (by_geometry ? "intersects" : "filter")
                            : (has_position ? "token" : "filter");
      return reply(io::http::validation_problem({{field, "cannot be used: " + why}}));
    }
    std::optional<page_position> next, prev;
    if (a.page.more_after && !a.page.items.empty())
      next = page_position{false, a.page.items.back().sort_values};
    if (a.page.more_before && !a.page.items.empty())
      prev = page_position{true, a.page.items.front().sort_values};
    auto links = io::stac::search_links(href, root, query, body, next, prev);
    for (const auto& l : extra_links)
      links.push_back(l);
    io::http::response r;
    r.content_type = geojson_type;
    r.body = io::stac::item_collection(a.page, links);
    reply(std::move(r));
  });
}

}  // namespace

void handle_stac_landing(edge_self* self, http_call call) {
  if (refuse_query(call))
    return;
  call.reply(json_response(200, io::stac::landing_page(self->state.opts.public_base_url)));
}

void handle_stac_conformance(edge_self*, http_call call) {
  if (refuse_query(call))
    return;
  call.reply(json_response(200, io::stac::conformance()));
}

void handle_stac_queryables(edge_self* self, http_call call, const principal& who,
                            const std::string& cid) {
  if (refuse_query(call))
    return;
  auto base = self->state.opts.public_base_url;
  auto schema = [base, cid] {
    auto r = json_response(200, io::stac::queryables_document(base, cid));
    r.content_type = "application/schema+json";
    return r;
  };
  if (cid.empty())
    return call.reply(schema());
  auto reply = call.reply;
  with_db(self, call, db::find_stac_collection{client_scope(who), cid},
          [reply, schema, cid](const db::find_stac_collection::result& a) {
    reply(a.collection ? schema() : no_collection(cid));
  });
}

void handle_stac_collections(edge_self* self, http_call call, const principal& who) {
  if (refuse_query(call))
    return;
  auto scope = client_scope(who);
  auto key = key_of(scope, "collections", "");
  if (const auto* hit = cached(self, key))
    return call.reply(*hit);
  auto c = caching(self, call, key);
  auto reply = c.reply;
  auto base = self->state.opts.public_base_url;
  with_db(self, c, db::list_stac_collections{scope},
          [reply, base](const db::list_stac_collections::result& a) {
    reply(json_response(200, io::stac::collections_document(a.collections, base)));
  });
}

void handle_stac_collection(edge_self* self, http_call call, const principal& who,
                            const std::string& cid) {
  if (refuse_query(call))
    return;
  auto scope = client_scope(who);
  auto key = key_of(scope, "collection", cid);
  if (const auto* hit = cached(self, key))
    return call.reply(*hit);
  auto c = caching(self, call, key);
  auto reply = c.reply;
  auto base = self->state.opts.public_base_url;
  with_db(self, c, db::find_stac_collection{scope, cid},
          [reply, base, cid](const db::find_stac_collection::result& a) {
    if (!a.collection)
      return reply(no_collection(cid));
    reply(json_response(200, io::stac::collection_of(*a.collection, base)));
  });
}

void handle_stac_items(edge_self* self, http_call call, const principal& who,
                       const std::string& cid) {
  std::vector<io::http::field_error> errors;
  auto search = io::stac::parse_items_query(call.req.query, cid, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  if (refuse_foreign_token(call, search))
    return;
  auto scope = client_scope(who);
  auto key = key_of(scope, "items", cid + '\n' + call.req.query);
  if (const auto* hit = cached(self, key))
    return call.reply(*hit);
  auto collection_url = root_of(self) + "/collections/" + cid;
  json extra = json::array(
    {{{"rel", "collection"}, {"href", collection_url}, {"type", "application/json"}},
     {{"rel", "parent"}, {"href", collection_url}, {"type", "application/json"}}});
  run_search(self, caching(self, call, key), db::search_stac{scope, std::move(search), true},
             collection_url + "/items", call.req.query, std::nullopt, std::move(extra));
}

void handle_stac_item(edge_self* self, http_call call, const principal& who,
                      const std::string& cid, const std::string& iid) {
  if (refuse_query(call))
    return;
  auto scope = client_scope(who);
  auto key = key_of(scope, "item", cid + '\n' + iid);
  if (const auto* hit = cached(self, key))
    return call.reply(*hit);
  auto c = caching(self, call, key);
  auto reply = c.reply;
  with_db(self, c, db::find_stac_item{scope, cid, iid},
          [reply, cid, iid](const db::find_stac_item::result& a) {
    if (!a.item_json)
      return reply(problem(404, "not_found", "no item " + iid + " in collection " + cid));
    io::http::response r;
    r.content_type = geojson_type;
    r.body = *a.item_json;
    reply(std::move(r));
  });
}

void handle_stac_search(edge_self* self, http_call call, const principal& who,
                        const json* body) {
  std::vector<io::http::field_error> errors;
  auto search = body != nullptr ? io::stac::parse_search_body(*body, errors)
                                : io::stac::parse_search_query(call.req.query, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  if (refuse_foreign_token(call, search))
    return;
  auto scope = client_scope(who);
  // GET answers carry their query in their links: the query is the key. POST answers link by
  // token only: the normalised search and the token are.
  auto key = body == nullptr
               ? key_of(scope, "GET search", call.req.query)
               : key_of(scope, "POST search",
                        io::stac::normalised(search) + '\n' +
                          (search.position ? io::stac::encode_token(*search.position) : ""));
  if (const auto* hit = cached(self, key))
    return call.reply(*hit);
  std::optional<std::string> query;
  std::optional<json> post_body;
  if (body == nullptr)
    query = call.req.query;
  else
    post_body = *body;
  run_search(self, caching(self, call, key), db::search_stac{scope, std::move(search), false},
             root_of(self) + "/search", std::move(query), std::move(post_body));
}

}  // namespace gp
