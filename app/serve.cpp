#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <unistd.h>
#include <filesystem>
#include <iostream>
#include <thread>

#include <caf/all.hpp>

#include "actors/root.hpp"
#include "app/commands.hpp"
#include "app/stores.hpp"
#include "app/version.hpp"
#include "io/crypto.hpp"
#include "io/http/server.hpp"
#include "io/jobs/pipelines.hpp"
#include "io/logging.hpp"
#include "io/storage_watch.hpp"
#include "messages/atoms.hpp"
#include "messages/messages.hpp"

namespace gp::app {

namespace {

using namespace std::chrono_literals;

/// Lease owner name: host, process id and a random suffix (unique across restarts).
std::string node_id() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return std::string{host} + ":" + std::to_string(getpid()) + ":" +
         io::random_string(6, "abcdefghijklmnopqrstuvwxyz0123456789");
}

root_options root_options_of(const config& cfg) {
  root_options o;
  o.db.url = cfg.database.url;
  o.db.statement_timeout = std::chrono::milliseconds{cfg.database.statement_timeout_ms};
  o.db.connect_timeout = std::chrono::seconds{cfg.database.connect_timeout_s};
  o.db_pool_size = static_cast<size_t>(cfg.database.pool_size);
  // A database round trip may need a connect plus one statement.
  o.edge.db_timeout = std::chrono::milliseconds{cfg.database.statement_timeout_ms} +
                      std::chrono::seconds{cfg.database.connect_timeout_s} + 500ms;
  o.edge.auth_timeout = o.edge.db_timeout + 500ms;
  o.edge.health_requires_key = cfg.auth.health_requires_key;
  o.auth.cache_ttl = std::chrono::milliseconds{cfg.auth.cache_ttl_ms};
  o.auth.lookup_timeout = o.edge.db_timeout;
  o.edge.version = version;
  o.shutdown_grace = std::chrono::seconds{cfg.http.shutdown_grace_s};
  o.edge.public_base_url = cfg.http.public_base_url;
  o.edge.stac_cache = cfg.stac.cache;
  o.edge.stac_cache_entries = static_cast<size_t>(cfg.stac.cache_entries);
  o.edge.stac_cache_ttl = std::chrono::seconds{cfg.stac.cache_ttl_s};
  o.stac.version_poll = std::chrono::milliseconds{cfg.stac.version_poll_ms};
  auto& e = o.engine;
  e.node_id = node_id();
  e.workers = static_cast<size_t>(cfg.workers.task_workers);
  e.lease = std::chrono::milliseconds{cfg.workers.lease_ms};
  e.claim_batch = cfg.workers.claim_batch;
  e.retry_base = std::chrono::milliseconds{cfg.workers.retry_base_ms};
  e.retry_max = std::chrono::milliseconds{cfg.workers.retry_max_ms};
  e.idle_poll_max = std::chrono::milliseconds{cfg.workers.idle_poll_max_ms};
  e.max_duration = std::chrono::seconds{cfg.workers.max_task_duration_s};
  e.first_job_deadline = std::chrono::seconds{cfg.requests.first_job_deadline_s};
  for (const auto& [type, secs] : cfg.workers.task_duration_limits)
    e.max_duration_by_type[type] = std::chrono::seconds{secs};
  e.db = o.db;
  // The job library reaches the database only through these stores (app/stores.*).
  use_database(e.env, persistence::connection_string(o.db));
  e.env.limits.max_source_bytes = static_cast<uint64_t>(cfg.limits.max_source_mib) << 20;
  e.env.limits.max_expanded_bytes = static_cast<uint64_t>(cfg.limits.max_expanded_mib) << 20;
  e.env.limits.max_expansion_ratio = static_cast<uint64_t>(cfg.limits.max_expansion_ratio);
  e.env.limits.max_pixels = static_cast<uint64_t>(cfg.limits.max_megapixels) * 1000000ull;
  e.env.limits.max_features = static_cast<uint64_t>(cfg.limits.max_features);
  e.env.limits.max_kml_bytes = static_cast<uint64_t>(cfg.limits.max_kml_mib) << 20;
  e.env.copy_writers = cfg.limits.copy_writers;
  auto bronze = std::filesystem::absolute(cfg.storage.bronze_root).lexically_normal().string();
  while (bronze.size() > 1 && bronze.back() == '/')
    bronze.pop_back();
  o.edge.bronze_root = bronze;
  o.edge.submit.allow_virtual_paths = cfg.storage.allow_virtual_sources;
  o.edge.submit.default_compression = cfg.requests.default_compression;
  o.edge.request_timeout = o.edge.db_timeout + 5s;
  o.registry.node_id = e.node_id;
  o.registry.db_timeout = o.edge.db_timeout;
  o.registry.max_batch = static_cast<size_t>(cfg.requests.insert_batch);
  o.registry.max_inflight_batches = cfg.requests.insert_groups;
  o.registry.min_concurrent_batch = static_cast<size_t>(cfg.requests.insert_group_min);
  o.requests.bronze_root = bronze;
  auto silver = std::filesystem::absolute(cfg.storage.silver_root).lexically_normal().string();
  while (silver.size() > 1 && silver.back() == '/')
    silver.pop_back();
  o.requests.silver_root = silver;
  o.requests.env = e.env;
  o.edge.silver_root = silver;
  o.requests.db_timeout = std::max<std::chrono::milliseconds>(o.edge.db_timeout, 20s);
  o.requests.pipelines = cfg.requests.pipelines == "-"
                           ? io::jobs::default_pipelines()
                           : io::jobs::parse_pipelines(cfg.requests.pipelines,
                                                       io::jobs::builtin_registry());
  auto& w = o.webhooks;
  const auto& wc = cfg.webhooks;
  w.enabled = wc.enabled;
  w.concurrency = static_cast<size_t>(wc.concurrency);
  w.per_host = static_cast<size_t>(wc.per_host);
  w.per_host_max = static_cast<size_t>(wc.per_host_max);
  w.per_client = static_cast<size_t>(wc.per_client);
  w.claim_batch = wc.claim_batch;
  w.poll = std::chrono::milliseconds{wc.poll_ms};
  w.lease = std::chrono::milliseconds{wc.lease_ms};
  w.max_payload_bytes = static_cast<size_t>(wc.max_payload_bytes);
  w.post.connect_timeout = std::chrono::milliseconds{wc.connect_timeout_ms};
  w.post.total_timeout = std::chrono::milliseconds{wc.timeout_ms};
  w.post.max_response_body = static_cast<size_t>(wc.max_response_bytes);
  w.post.allow_private_addresses = wc.allow_private_addresses;
  w.post.user_agent = std::string{"geoplatform-webhooks/"} + version;
  w.retry.steps = *io::webhooks::parse_schedule(wc.retry_schedule, nullptr);
  w.retry.window = std::chrono::seconds{wc.retry_window_s};
  io::webhooks::client_options client;
  client.ca_file = wc.ca_file;
  client.io_threads = wc.io_threads;
  try {
    w.client = std::make_shared<io::webhooks::http_client>(client);
  } catch (const std::exception& e) {
    throw config_error{std::string{"[webhooks] ca_file = \""} + wc.ca_file + "\": " + e.what()};
  }
  o.edge.webhook_secret_grace = std::chrono::seconds{wc.secret_grace_s};
  o.edge.key_rotation_overlap = std::chrono::seconds{cfg.auth.key_rotation_overlap_s};
  o.edge.rate_limits = cfg.rate_limits.enabled;
  o.edge.read_per_minute = cfg.rate_limits.read_per_minute;
  o.edge.tiles_per_minute = cfg.rate_limits.tiles_per_minute;
  o.edge.usage = cfg.usage.enabled;
  o.edge.metrics = cfg.metrics.enabled;
  o.edge.access_log = cfg.log.access;
  o.edge.health_max_queue_depth = cfg.health.max_queue_depth;
  o.edge.health_max_webhook_backlog = cfg.health.max_webhook_backlog;
  o.edge.health_min_free_mib = cfg.health.min_free_mib;
  o.edge.usage_flush = std::chrono::milliseconds{cfg.usage.flush_ms};
  o.supervisor.max_restarts = cfg.requests.max_restarts;
  o.supervisor.restart_window = std::chrono::seconds{cfg.requests.restart_window_s};
  o.supervisor.restart_backoff = std::chrono::milliseconds{cfg.requests.restart_backoff_ms};
  return o;
}

io::http::server_options server_options_of(const config& cfg) {
  io::http::server_options o;
  o.access_log = cfg.log.access;
  o.address = cfg.http.listen_address;
  o.port = static_cast<uint16_t>(cfg.http.port);
  o.threads = cfg.http.io_threads;
  o.body_limit = static_cast<size_t>(cfg.http.body_limit_bytes);
  o.header_limit = static_cast<size_t>(cfg.http.header_limit_bytes);
  o.url_limit = static_cast<size_t>(cfg.http.url_limit_bytes);
  o.read_timeout = std::chrono::seconds{cfg.http.read_timeout_s};
  o.idle_timeout = std::chrono::seconds{cfg.http.idle_timeout_s};
  o.write_timeout = std::chrono::seconds{cfg.http.write_timeout_s};
  o.max_connections = static_cast<size_t>(cfg.http.max_connections);
  return o;
}

void ensure_storage(const config& cfg) {
  for (const auto& dir : {cfg.storage.bronze_root, cfg.storage.silver_root}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw std::runtime_error{"cannot create storage folder " + dir + ": " + ec.message()};
  }
}

/// Set when a core actor died: the node stops as after SIGTERM, but exits 1.
std::atomic<bool> fatal_failure{false};

/// Ends the process once every actor has stopped and every database transaction has been
/// committed. Static destructors are skipped on purpose: threads the libraries detached (the
/// second-signal watcher, CAF's detached actors finishing their cleanup, libpq/OpenSSL state) may
/// still be running, and racing them against atexit teardown crashed an otherwise clean exit
/// (SIGSEGV after "stopped", seen twice in CI-like runs).
[[noreturn]] void finish(int code) {
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

}  // namespace

int serve(config cfg) {
  io::setup_logging(cfg.log.level,
                    cfg.log.format == "json" ? io::log_format::json : io::log_format::text);
  ensure_storage(cfg);

  // Signals are taken by sigwait on this thread only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = std::make_shared<io::http::server>(server_options_of(cfg));
  server->bind();
  if (cfg.http.public_base_url_derived)
    cfg.http.public_base_url = base_url_for(cfg.http.listen_address, server->port());

  caf::actor_system_config caf_cfg;
  register_message_types(caf_cfg);
  caf_cfg.set("scheduler.policy", cfg.workers.scheduler_policy == "sharing"
                                    ? caf::atom("sharing")
                                    : caf::atom("stealing"));
  caf_cfg.set("scheduler.max-threads",
              scheduler_threads_for(cfg.workers.scheduler_threads,
                                    std::thread::hardware_concurrency()));
  {
    caf::actor_system sys{caf_cfg};
    auto opts = root_options_of(cfg);
    // Read every second; /health calls a read that has waited 5 s unresponsive.
    opts.edge.storage = std::make_shared<io::storage_watch>(
      std::vector<std::pair<std::string, std::string>>{{"bronze", opts.edge.bronze_root},
                                                       {"silver", opts.edge.silver_root}},
      std::chrono::seconds{1});
    opts.on_fatal = [] {
      fatal_failure = true;
      ::kill(::getpid(), SIGTERM);
    };
    auto root = spawn_root(sys, std::move(opts), server);
    GP_LOG_INFO("geoplatform {} listening on http://{}:{} (public base URL {})", version,
                cfg.http.listen_address, server->port(), cfg.http.public_base_url);
    int sig = 0;
    sigwait(&signals, &sig);
    if (!fatal_failure)
      GP_LOG_INFO("received {}: stopping (in-flight calls get up to {} s; a second signal stops "
                  "at once)",
                  signal_name(sig), cfg.http.shutdown_grace_s);
    // An operator who signals again does not want to wait for the orderly stop.
    std::thread{[signals] {
      int again = 0;
      sigwait(&signals, &again);
      GP_LOG_WARN("received {} again: exiting without an orderly stop", signal_name(again));
      std::_Exit(130);
    }}.detach();
    {
      caf::scoped_actor self{sys};
      auto grace = std::chrono::seconds{cfg.http.shutdown_grace_s};
      // The drain, the edge's last usage write, then the actors' stop.
      auto db_round_trip = std::chrono::milliseconds{cfg.database.statement_timeout_ms} +
                           std::chrono::seconds{cfg.database.connect_timeout_s};
      self->request(root, grace + 10s + db_round_trip, shutdown_atom_v)
        .receive(
          [](bool drained) {
            if (!drained)
              GP_LOG_WARN("some calls were still in flight when the grace period ended");
          },
          [&](const caf::error& err) {
            GP_LOG_ERROR("orderly shutdown failed: {}", sys.render(err));
            caf::anon_send_exit(root, caf::exit_reason::kill);
          });
    }
    // The server's handler holds the edge's handle; it must go before the actor system does.
    server->stop();
    root = nullptr;
  }
  int code = fatal_failure ? 1 : 0;
  if (fatal_failure)
    GP_LOG_ERROR("stopped after a fatal failure");
  else
    GP_LOG_INFO("stopped");
  finish(code);
}

}  // namespace gp::app
