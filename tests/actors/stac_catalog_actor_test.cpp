// The stac_catalog actor under CAF's deterministic scheduler, its pool a strict mock: it
// assembles what a completed request publishes, stores it with the completed state, takes the
// disambiguated item id when another request holds the id, advances the cache generation after
// a stored write and when the catalogue's version moved, and passes failures back.
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/stac_catalog.hpp"
#include "messages/errors.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

struct world {
  /// The item JSON find_stac_item answers (unset: none).
  std::optional<std::string> holder;
  /// The collection find_stac_collection answers (unset: none).
  std::optional<gp::catalogue_collection_row> collection;
  /// Writes with catalogue rows answered errc::conflict (a collection id of another client).
  int conflicts = 0;
  std::vector<gp::db::write_request_state> writes;
  bool store = true;
  int fail_writes = 0;
  int64_t version = 5;
  int version_reads = 0;
};

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [=](const gp::db::find_stac_item&) { return gp::db::find_stac_item::result{w->holder}; },
    [=](const gp::db::find_stac_collection&) {
      return gp::db::find_stac_collection::result{w->collection};
    },
    [=](const gp::db::write_request_state& op)
      -> caf::result<gp::db::write_request_state::result> {
      w->writes.push_back(op);
      if (w->conflicts > 0 && !op.state.catalogue.empty()) {
        --w->conflicts;
        return caf::make_error(gp::errc::conflict, std::string{"the collection id is taken"});
      }
      if (w->fail_writes > 0) {
        --w->fail_writes;
        return caf::make_error(gp::errc::database_unavailable, std::string{"down"});
      }
      return gp::db::write_request_state::result{w->store, {"", "2026-12-06T00:00:09Z"}};
    },
    [=](const gp::db::stac_catalogue_version&) {
      ++w->version_reads;
      return gp::db::stac_catalogue_version::result{w->version};
    },
  };
}

struct stac_catalog_actor : gp::test::deterministic {
  std::shared_ptr<world> w = std::make_shared<world>();
  caf::actor pool;
  gp::stac_catalog_actor actor;
  gp::stac_catalog_options opts;

  void SetUp() override {
    pool = sys->spawn(mock_pool, w);
    opts.pool = caf::actor_cast<gp::db_pool_actor>(pool);
    opts.base_url = "http://gp.test";
    opts.version_poll = 1s;
    actor = gp::spawn_stac_catalog(*sys, opts);
    run();
  }

  void TearDown() override {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    run();
  }

  /// A completed raster request of ddh's, with the facts its STAC step kept.
  gp::db::finalise_request completed_raster() {
    gp::db::finalise_request op;
    static_cast<gp::request_spec&>(op.completed) = gp::test::sample_spec("r", "a.tif");
    op.completed.request_type = "raster";
    op.completed.request_id = std::string(32, 'c');
    op.completed.status = gp::request_status::completed;
    op.write.request_id = op.completed.request_id;
    op.write.state_version = 3;
    op.write.state.status = gp::request_status::completed;
    op.write.state.endpoints_json = R"({"download":"/platform/data/x/download"})";
    json raster = {{"file", "a.tif"}, {"epsg", 4326}, {"wkt2", ""}, {"shape", {10, 20}},
                   {"transform", {0.1, 0, 5, 0, -0.1, 50, 0, 0, 1}},
                   {"proj_bbox", {5, 49, 7, 50}}, {"bounds", {5, 49, 7, 50}},
                   {"bands", {{{"data_type", "uint8"}, {"spatial_resolution", 0.1},
                               {"nodata", nullptr}}}}};
    op.write.state.outputs_json = json{{"download", "a.tif"},
                                       {"stac", {{"rasters", {raster}}}}}.dump();
    return op;
  }

  gp::db::finalise_request::result finalise(gp::db::finalise_request op) {
    auto r = ask<gp::db::finalise_request::result>(actor, std::move(op));
    EXPECT_TRUE(r) << sys->render(r.error());
    return r ? *r : gp::db::finalise_request::result{};
  }
};

}  // namespace

TEST_F(stac_catalog_actor, a_completed_raster_is_stored_with_its_item_and_endpoint) {
  auto before = opts.generation->load();
  auto r = finalise(completed_raster());
  EXPECT_TRUE(r.stored);
  ASSERT_EQ(w->writes.size(), 1u);
  const auto& state = w->writes[0].state;
  EXPECT_EQ(w->writes[0].state_version, 3);
  ASSERT_EQ(state.catalogue.items.size(), 1u);
  EXPECT_EQ(state.catalogue.items[0].item_id, "d_r_v1");
  EXPECT_EQ(state.catalogue.items[0].collection_id, "ddh_rasters");
  ASSERT_EQ(state.catalogue.collections.size(), 1u);
  auto item = json::parse(r.stac_metadata_json);
  EXPECT_EQ(item["id"], "d_r_v1");
  EXPECT_EQ(item["links"][0]["href"], "http://gp.test/platform/stac/collections/ddh_rasters/items/d_r_v1");
  EXPECT_EQ(state.stac_metadata_json, r.stac_metadata_json);
  auto endpoints = json::parse(r.endpoints_json);
  EXPECT_EQ(endpoints["download"], "/platform/data/x/download");
  EXPECT_EQ(endpoints["stac_item"], "/platform/stac/collections/ddh_rasters/items/d_r_v1");
  EXPECT_EQ(opts.generation->load(), before + 1);
}

TEST_F(stac_catalog_actor, an_id_another_request_holds_gives_the_disambiguated_id) {
  w->holder = json{{"id", "d_r_v1"}, {"properties", {{"ddh:request_id", std::string(32, 'e')}}}}
                .dump();
  auto r = finalise(completed_raster());
  EXPECT_EQ(json::parse(r.stac_metadata_json)["id"], "d_r_v1_cccccccc");
  // Its own earlier item keeps the id.
  w->holder = json{{"id", "d_r_v1"}, {"properties", {{"ddh:request_id", std::string(32, 'c')}}}}
                .dump();
  r = finalise(completed_raster());
  EXPECT_EQ(json::parse(r.stac_metadata_json)["id"], "d_r_v1");
}

TEST_F(stac_catalog_actor, a_refused_write_keeps_the_generation_and_a_failed_one_advances_it) {
  auto before = opts.generation->load();
  w->store = false;
  auto r = finalise(completed_raster());
  EXPECT_FALSE(r.stored);
  EXPECT_EQ(opts.generation->load(), before);
  // A failed write may have committed (its answer lost): the cache is emptied all the same.
  w->fail_writes = 1;
  auto failed = ask<gp::db::finalise_request::result>(actor, completed_raster());
  ASSERT_FALSE(failed);
  EXPECT_TRUE(gp::is(failed.error(), gp::errc::database_unavailable));
  EXPECT_EQ(opts.generation->load(), before + 1);
}

TEST_F(stac_catalog_actor, a_client_collection_id_of_another_client_completes_without_an_item) {
  w->conflicts = 1;
  auto r = finalise(completed_raster());
  EXPECT_TRUE(r.stored);
  ASSERT_EQ(w->writes.size(), 2u);
  EXPECT_FALSE(w->writes[0].state.catalogue.empty());
  EXPECT_TRUE(w->writes[1].state.catalogue.empty());
  EXPECT_EQ(r.stac_metadata_json, "null");
  EXPECT_EQ(json::parse(r.endpoints_json).count("stac_item"), 0u);
}

TEST_F(stac_catalog_actor, a_collection_id_another_request_owns_gives_the_disambiguated_id) {
  auto op = completed_raster();
  op.completed.request_type = "collection";
  gp::catalogue_collection_row other;
  other.collection_id = "ddh_d_r_v1";
  other.client_id = "ddh";
  other.request_id = std::string(32, 'e');
  w->collection = other;
  auto r = finalise(op);
  EXPECT_EQ(json::parse(r.stac_metadata_json)["id"], "ddh_d_r_v1_cccccccc");
  EXPECT_EQ(w->writes[0].state.catalogue.collections[0].request_id, std::string(32, 'c'));
  // Its own collection keeps the id.
  w->collection->request_id = std::string(32, 'c');
  r = finalise(op);
  EXPECT_EQ(json::parse(r.stac_metadata_json)["id"], "ddh_d_r_v1");
}

TEST_F(stac_catalog_actor, outputs_without_facts_complete_without_an_item) {
  auto op = completed_raster();
  op.write.state.outputs_json = R"({"download":"a.tif"})";
  auto r = finalise(std::move(op));
  EXPECT_TRUE(r.stored);
  EXPECT_TRUE(w->writes[0].state.catalogue.empty());
  EXPECT_EQ(json::parse(r.endpoints_json).count("stac_item"), 0u);
}

TEST_F(stac_catalog_actor, another_node_s_write_advances_the_generation_within_a_poll) {
  EXPECT_EQ(w->version_reads, 1);
  auto before = opts.generation->load();
  after(1s);
  EXPECT_EQ(w->version_reads, 2);
  EXPECT_EQ(opts.generation->load(), before);
  w->version = 6;
  after(1s);
  EXPECT_EQ(opts.generation->load(), before + 1);
  auto report = status_of(actor);
  EXPECT_EQ(report.details.at("catalogue_version"), "6");
}
