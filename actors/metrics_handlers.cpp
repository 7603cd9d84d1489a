// GET /metrics (docs/monitoring.md "Metrics"): the node's counters and histograms
// (actors/node_metrics.hpp), what each long-lived actor reports of itself (its mailbox, the
// database pool's use, the registry's live requests), the job queue and webhook backlog from the
// database, and the process's memory, threads and file descriptors, in the Prometheus text format.
#include <memory>

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "actors/node_metrics.hpp"
#include "io/http/problem.hpp"
#include "io/storage_watch.hpp"
#include "io/metrics.hpp"
#include "messages/atoms.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using io::metrics::text_writer;

/// Collects the answers for one scrape; writes the text when the last arrives.
struct scrape {
  io::http::responder reply;
  std::string version;
  int pending = 0;
  std::vector<status_report> reports;
  std::optional<work_backlog> backlog;
  /// The storage roots as the edge's watch last read them.
  std::vector<io::storage_watch::root> roots;

  void done() {
    if (--pending > 0)
      return;
    // Runs in a response handler, outside the edge's guard: a failure here answers 500 instead
    // of ending the edge.
    try {
      reply(exposition());
    } catch (const std::exception&) {
      reply(io::http::problem(500, "internal", "the metrics could not be written"));
    }
  }

  io::http::response exposition() const {
    text_writer out;
    node_metrics::get().write(out);
    write_reports(out);
    write_backlog(out);
    write_storage(out);
    write_process(out);
    io::http::response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = out.take();
    return r;
  }

  void write_reports(text_writer& out) const {
    out.family("geoplatform_actor_mailbox_messages", "gauge",
               "Messages waiting in a long-lived actor's mailbox, as the actor reports it.");
    for (const auto& r : reports)
      if (auto n = report_number(r, "mailbox"))
        out.sample("geoplatform_actor_mailbox_messages", {{"actor", r.actor}}, *n);
    out.family("geoplatform_actor_up", "gauge",
               "1 when a long-lived actor answered the scrape within 2 s, else 0.");
    for (const auto& r : reports)
      out.sample("geoplatform_actor_up", {{"actor", r.actor}},
                 r.state == actor_state::unreachable ? 0 : 1);
    for (const auto& r : reports) {
      if (r.actor == "db_pool") {
        out.single("geoplatform_db_pool_connections", "gauge",
                   "Database connections of this node's pool.",
                   report_number(r, "size").value_or(0));
        out.single("geoplatform_db_pool_operations_in_flight", "gauge",
                   "Database operations handed to the pool and not yet answered.",
                   report_number(r, "outstanding").value_or(0));
        out.single("geoplatform_db_pool_operations_total", "counter",
                   "Database operations the pool has handed to its connections.",
                   report_number(r, "dispatched").value_or(0));
      } else if (r.actor == "registry") {
        out.family("geoplatform_requests_active", "gauge",
                   "Platform requests this node's registry knows as pending or processing.");
        out.sample("geoplatform_requests_active",
                   {{"state", std::string{name_of(request_status::pending)}}},
                   report_number(r, "pending_requests").value_or(0));
        out.sample("geoplatform_requests_active",
                   {{"state", std::string{name_of(request_status::processing)}}},
                   report_number(r, "processing_requests").value_or(0));
      } else if (r.actor == "http_edge") {
        out.single("geoplatform_http_connections", "gauge", "Open HTTP connections.",
                   report_number(r, "connections").value_or(0));
        out.single("geoplatform_http_requests_in_flight", "gauge",
                   "HTTP calls received and not yet answered.",
                   report_number(r, "in_flight").value_or(0));
      }
    }
  }

  void write_backlog(text_writer& out) const {
    out.single("geoplatform_database_up", "gauge",
               "1 when the scrape could read the job queue and webhook backlog, else 0.",
               backlog ? 1 : 0);
    if (!backlog)
      return;
    const auto& b = *backlog;
    out.family("geoplatform_queue_tasks", "gauge",
               "Tasks in the job queue (all nodes), by state: waiting for a worker, or processing.");
    out.sample("geoplatform_queue_tasks", {{"state", "waiting"}},
               static_cast<double>(b.tasks_waiting));
    out.sample("geoplatform_queue_tasks", {{"state", std::string{name_of(job_status::processing)}}},
               static_cast<double>(b.tasks_running));
    out.single("geoplatform_queue_oldest_wait_seconds", "gauge",
               "How long the task that has been due longest has waited since it became due.",
               static_cast<double>(b.oldest_task_wait_s));
    out.single("geoplatform_webhook_backlog", "gauge",
               "Webhook deliveries waiting to be sent, retries not yet due included (all nodes).",
               static_cast<double>(b.webhooks_waiting));
    out.single("geoplatform_webhook_oldest_wait_seconds", "gauge",
               "How long the delivery that has been due longest has waited since it became due.",
               static_cast<double>(b.oldest_webhook_wait_s));
  }

  void write_storage(text_writer& out) const {
    // A root that cannot be read, or whose read has not answered for a while, is left out.
    std::vector<std::pair<std::string, io::disk_space>> read;
    for (const auto& r : this->roots)
      if (r.space && r.waiting.count() == 0)
        read.emplace_back(r.name, *r.space);
    out.family("geoplatform_storage_free_bytes", "gauge",
               "Space a writer may still use on the file system of a storage root.");
    for (const auto& [name, space] : read)
      out.sample("geoplatform_storage_free_bytes", {{"root", name}},
                 static_cast<double>(space.free_bytes));
    out.family("geoplatform_storage_size_bytes", "gauge",
               "Size of the file system of a storage root.");
    for (const auto& [name, space] : read)
      out.sample("geoplatform_storage_size_bytes", {{"root", name}},
                 static_cast<double>(space.total_bytes));
  }

  void write_process(text_writer& out) const {
    auto p = io::metrics::read_process_stats();
    auto gauge = [&](const char* name, const char* type, const char* help, double v) {
      if (v < 0)
        return;
      out.family(name, type, help);
      out.sample(name, {}, v);
    };
    gauge("geoplatform_process_resident_memory_bytes", "gauge", "Resident memory of the process.",
          p.resident_bytes);
    gauge("geoplatform_process_threads", "gauge", "Threads of the process.", p.threads);
    gauge("geoplatform_process_open_fds", "gauge", "Open file descriptors of the process.",
          p.open_fds);
    gauge("geoplatform_process_max_fds", "gauge", "The process's limit of open file descriptors.",
          p.max_fds);
    gauge("geoplatform_process_cpu_seconds_total", "counter",
          "User and system CPU time the process has used.", p.cpu_seconds);
    gauge("geoplatform_process_start_time_seconds", "gauge",
          "When the process started, in seconds since the Unix epoch.", p.start_time_seconds);
    out.family("geoplatform_build_info", "gauge", "Always 1; the version is its label.");
    out.sample("geoplatform_build_info", {{"version", version}}, 1);
  }
};

}  // namespace

void handle_metrics(edge_self* self, http_call call) {
  using namespace std::chrono_literals;
  const auto& st = self->state;
  if (!st.opts.metrics)
    return call.reply(io::http::problem(
      404, "not_found", "metrics are switched off on this node (metrics.enabled = false)"));
  auto s = std::make_shared<scrape>();
  s->reply = call.reply;
  s->version = st.opts.version;
  s->roots = st.opts.storage->snapshot();
  const auto& p = st.peers;
  auto members = status_reporters(p);
  s->pending = static_cast<int>(members.size()) + 1;
  s->reports.push_back(edge_status(self));
  for (auto& [name, handle] : members) {
    auto n = name;
    self->request(handle, 2s, status_atom_v)
      .then(
        [s](const status_report& r) {
          s->reports.push_back(r);
          s->done();
        },
        [s, n](const caf::error&) {
          s->reports.push_back({n, actor_state::unreachable, {}});
          s->done();
        });
  }
  self->request(p.pool, st.opts.db_timeout, db::read_backlog{})
    .then(
      [s](const work_backlog& b) {
        s->backlog = b;
        s->done();
      },
      [s](const caf::error&) { s->done(); });
}

}  // namespace gp
