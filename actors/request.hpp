#pragma once
// A request actor owns one live platform request: pending → processing → completed | failed |
// cancelled. It runs its request type's steps as CoreMachine jobs, one after another, writes a
// snapshot to its row on every transition (fenced by state_version), and stops when terminal.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "actors/status_board.hpp"
#include "io/jobs/pipelines.hpp"
#include "messages/records.hpp"
#include "messages/requests.hpp"
#include "persistence/task_queue.hpp"

namespace gp {

/// What every request actor of a node shares (one copy, held by pointer: request state is lean).
struct request_options {
  db_pool_actor pool;
  /// Writes the completed state with what the request publishes in the STAC catalogue (unset:
  /// the pool writes it alone).
  stac_catalog_actor stac;
  coremachine_actor coremachine;
  registry_actor registry;
  const io::jobs::registry* jobs = nullptr;
  /// Where request actors publish their views for the HTTP edge (shared with it).
  std::shared_ptr<status_board> board;
  io::jobs::pipeline_table pipelines;
  /// Sources are resolved inside <bronze_root>/<client_id>/.
  std::string bronze_root;
  /// Outputs go to <silver_root>/<client>/<dataset>/<resource>/<version>/.
  std::string silver_root;
  /// For cleaning up after a failed or cancelled request (its half-loaded tables).
  io::jobs::task_environment env;
  std::chrono::milliseconds db_timeout{20000};
  /// Pause before trying a failed database write or job submission again.
  std::chrono::milliseconds retry_delay{1000};
  /// Least time between two progress refreshes of one request.
  std::chrono::milliseconds progress_interval{1000};
  /// Tests only: called before each state write with the status about to be written; throwing
  /// makes the actor fail as a crash would.
  std::function<void(request_status)> fault;

};

/// Where a request's source is: a GDAL virtual path as given, else inside the client's bronze
/// folder.
std::string source_of(const request_options& opts, const std::string& client_id,
                      const std::string& source_path);

/// The client's bronze folder a request's source must stay inside (empty for a virtual path).
std::string source_root_of(const request_options& opts, const std::string& client_id,
                           const std::string& source_path);

/// Where a request's outputs go.
std::string output_dir_of(const request_options& opts, const std::string& client_id,
                          const std::string& dataset_id, const std::string& resource_id,
                          const std::string& version_id);

/// The parameters of `step`'s job for the request `request_id` asking for `spec` (its source and
/// processing_config as stored); throws when the job library rejects them.
std::string step_params_of(const request_options& opts, const io::jobs::pipeline_step& step,
                           const std::string& request_id, const request_spec& spec);

/// The first job of a new request, named (its id, type and stages, without parameters; empty
/// when its type has no steps), and in `snapshot` the request snapshot that names it (so the
/// request actor only has to watch it). The job itself is created by the first claim that finds
/// the request (see first_job_planner_of). In actors/request_setup.cpp with the paths above.
persistence::new_job first_job_named(const request_options& opts, const std::string& request_type,
                                     const std::string& request_id, std::string& snapshot);

/// Makes the first job of a request from its row, for the task queue's claims: the same job
/// first_job_named names, with its parameters. `opts` is copied (only its pipelines, job library
/// and storage roots are used).
persistence::first_job_planner first_job_planner_of(const request_options& opts);

/// Spawns the actor of `row` (read from the database). A terminal row stops at once after
/// telling the registry.
request_actor spawn_request(caf::actor_system& sys, std::shared_ptr<const request_options> opts,
                            const request_row& row);
/// The actor of a request this node just created (at step 0 of its snapshot, with its jobs): its
/// first job, which the first claim creates, is watched without a look.
request_actor spawn_request(caf::actor_system& sys, std::shared_ptr<const request_options> opts,
                            fresh_request fresh);

}  // namespace gp

