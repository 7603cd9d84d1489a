#include "actors/stac_catalog.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/live_actor.hpp"
#include "io/http/request_codec.hpp"
#include "io/logging.hpp"
#include "io/stac/publication.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using json = nlohmann::json;

struct stac_catalog_state : live_actor<actor_kind::stac_catalog> {
  stac_catalog_options opts;
  /// The catalogue version last read from PostgreSQL (-1: not yet).
  int64_t seen_version = -1;
  uint64_t finalised = 0;
  uint64_t failed = 0;
  static inline const char* name = "stac_catalog";
};

using catalog_self = caf::stateful_actor<stac_catalog_state, stac_catalog_impl::base>;

io::stac::publication publication_of(const request_view& v, const std::string& outputs_json,
                                     const std::string& base_url) {
  io::stac::publication p;
  p.request_id = v.request_id;
  p.spec = v;
  p.outputs = json::parse(outputs_json.empty() ? "{}" : outputs_json, nullptr, false);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  p.processed_at =
    io::http::rfc3339_or_null(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  p.base_url = base_url;
  return p;
}

/// Runs `op`'s write on the pool and answers. `bare`: the same write without what the request
/// publishes, written instead when a client's own collection id turns out to be another
/// client's (ids joined with "_" can meet): the request then completes without an item rather
/// than never. A request collection's id met that way is answered as the conflict it is: the
/// request actor writes again, and the collection takes the disambiguated id.
void write(catalog_self* self, caf::typed_response_promise<db::finalise_request::result> rp,
           db::finalise_request op, std::optional<db::finalise_request> bare) {
  auto& st = self->state;
  auto metadata = op.write.state.stac_metadata_json;
  auto endpoints = op.write.state.endpoints_json;
  auto request_id = op.write.request_id;
  self->request(st.opts.pool, st.opts.db_timeout, std::move(op.write))
    .then(
      [=](const db::write_request_state::result& res) mutable {
        if (res.stored) {
          // Before anyone hears of the completion: no answer cached before it is served.
          self->state.opts.generation->fetch_add(1);
          ++self->state.finalised;
        }
        rp.deliver(db::finalise_request::result{res.stored, res.times, metadata, endpoints});
      },
      [=](const caf::error& err) mutable {
        auto& st = self->state;
        ++st.failed;
        // The write may have committed although its answer was lost: no cached answer may
        // outlive it.
        st.opts.generation->fetch_add(1);
        if (is(err, errc::conflict) && bare) {
          GP_LOG_ERROR("stac_catalog: request {}: no STAC item ({})", request_id,
                       error_detail(err));
          return write(self, rp, std::move(*bare), std::nullopt);
        }
        rp.deliver(err);
      });
}

/// Fills the write with what the request publishes, then runs it.
void store(catalog_self* self, caf::typed_response_promise<db::finalise_request::result> rp,
           db::finalise_request op, const io::stac::publication& p, bool id_taken) {
  io::stac::published out;
  try {
    out = io::stac::assemble(p, id_taken);
  } catch (const std::exception& e) {
    // Facts the jobs wrote cannot be read: the request completes without an item rather than
    // never (its outputs are served all the same).
    GP_LOG_ERROR("stac_catalog: request {}: no STAC item ({})", p.request_id, e.what());
  }
  std::optional<db::finalise_request> bare;
  if (!out.entries.empty() && !io::stac::wanted_collection(p))
    bare = op;
  auto& state = op.write.state;
  if (!out.stac_metadata.is_null())
    state.stac_metadata_json = out.stac_metadata.dump();
  auto endpoints = json::parse(state.endpoints_json.empty() ? "{}" : state.endpoints_json,
                               nullptr, false);
  if (!endpoints.is_object())
    endpoints = json::object();
  endpoints.update(out.endpoints);
  state.endpoints_json = endpoints.dump();
  state.catalogue = std::move(out.entries);
  write(self, rp, std::move(op), std::move(bare));
}

/// Whether the item or collection document `json_text` (found under the id `p` wants) belongs
/// to another request.
bool held_by_another(const std::optional<std::string>& json_text,
                     const io::stac::publication& p) {
  if (!json_text)
    return false;
  auto doc = json::parse(*json_text, nullptr, false);
  if (!doc.is_object() || !doc["properties"].is_object())
    return true;
  return doc["properties"].value("ddh:request_id", "") != p.request_id;
}

stac_catalog_impl::behavior_type stac_catalog(catalog_self* self, stac_catalog_options opts) {
  self->state.opts = std::move(opts);
  if (self->state.opts.version_poll.count() > 0)
    self->send(self, tick_atom_v);
  return {
    // Assembles the request's catalogue rows and writes them with its completed state. The
    // item (or collection) id its identity maps to may be held by another request: then it
    // takes the disambiguated id (a race between two such writes fails one; its request writes
    // again, and this look finds the id taken).
    [=](db::finalise_request op) -> caf::result<db::finalise_request::result> {
      auto& st = self->state;
      auto rp = self->make_response_promise<db::finalise_request::result>();
      auto p = publication_of(op.completed, op.write.state.outputs_json, st.opts.base_url);
      auto failed = [=](const caf::error& err) mutable {
        ++self->state.failed;
        rp.deliver(err);
      };
      if (auto cid = io::stac::wanted_collection(p)) {
        // A collection request's collection: taken when another client or request owns it.
        self->request(st.opts.pool, st.opts.db_timeout, db::find_stac_collection{"", *cid})
          .then(
            [=](const db::find_stac_collection::result& found) mutable {
              const auto& c = found.collection;
              bool taken =
                c && (c->client_id != p.spec.client_id || c->request_id != p.request_id);
              store(self, rp, std::move(op), p, taken);
            },
            failed);
        return rp;
      }
      auto wanted = io::stac::wanted_item(p);
      if (!wanted) {
        store(self, rp, std::move(op), p, false);
        return rp;
      }
      self->request(st.opts.pool, st.opts.db_timeout,
                    db::find_stac_item{"", wanted->first, wanted->second})
        .then(
          [=](const db::find_stac_item::result& found) mutable {
            store(self, rp, std::move(op), p, held_by_another(found.item_json, p));
          },
          failed);
      return rp;
    },
    // Reads the catalogue's version; a change (another node's write, or this node's) starts a
    // new cache generation.
    [=](tick_atom) {
      auto& st = self->state;
      self->request(st.opts.pool, st.opts.db_timeout, db::stac_catalogue_version{})
        .then(
          [=](const db::stac_catalogue_version::result& v) {
            auto& st = self->state;
            if (st.seen_version >= 0 && v.version != st.seen_version)
              st.opts.generation->fetch_add(1);
            st.seen_version = v.version;
            self->delayed_send(self, st.opts.version_poll, tick_atom_v);
          },
          [=](const caf::error&) {
            // The database is away: nothing can be written either; look again later.
            self->delayed_send(self, self->state.opts.version_poll, tick_atom_v);
          });
    },
    // Requests finalised and failed, the cache generation, the version last read.
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"stac_catalog",
                           actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"finalised", std::to_string(st.finalised)},
                            {"failures", std::to_string(st.failed)},
                            {"generation", std::to_string(st.opts.generation->load())},
                            {"catalogue_version", std::to_string(st.seen_version)}}};
    },
  };
}

}  // namespace

stac_catalog_actor spawn_stac_catalog(caf::actor_system& sys, stac_catalog_options opts) {
  return caf::actor_cast<stac_catalog_actor>(sys.spawn(stac_catalog, std::move(opts)));
}

}  // namespace gp
