#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <toml++/toml.h>

#include "io/jobs/pipelines.hpp"
#include "io/webhooks/retry_policy.hpp"
#include "persistence/database.hpp"

extern char** environ;

namespace gp::app {

namespace {

using kind = key_spec::kind;

key_spec integer(std::string s, std::string k, int64_t def, int64_t lo, int64_t hi,
                 std::string desc) {
  return key_spec{std::move(s), std::move(k), kind::integer, std::to_string(def), std::move(desc),
                  lo, hi, {}, false, false};
}

key_spec text(std::string s, std::string k, std::string def, std::string desc,
              std::vector<std::string> choices = {}, bool secret = false) {
  return key_spec{std::move(s), std::move(k), kind::string, std::move(def), std::move(desc),
                  0, 0, std::move(choices), secret, false};
}

key_spec optional_text(std::string s, std::string k, std::string desc) {
  auto spec = text(std::move(s), std::move(k), "", std::move(desc));
  spec.may_be_empty = true;
  return spec;
}

key_spec flag(std::string s, std::string k, bool def, std::string desc) {
  return key_spec{std::move(s), std::move(k), kind::boolean, def ? "true" : "false",
                  std::move(desc), 0, 0, {"true", "false"}, false, false};
}

std::string where(value_origin origin, const std::string& source) {
  switch (origin) {
    case value_origin::default_value: return "default";
    case value_origin::file: return "file " + source;
    case value_origin::environment: return "environment variable " + source;
    case value_origin::command_line: return "command line";
  }
  return "?";
}

bool parse_int(const std::string& s, int64_t& out) {
  auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc{} && p == end && !s.empty();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// "type=seconds,type=seconds" → map; "-" → empty. Throws std::invalid_argument with the reason.
std::map<std::string, int> parse_duration_limits(const std::string& text) {
  std::map<std::string, int> out;
  if (text == "-")
    return out;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto eq = item.find('=');
    int64_t secs = 0;
    auto name = eq == std::string::npos ? std::string{} : item.substr(0, eq);
    bool name_ok = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") ==
                                      std::string::npos;
    if (!name_ok || !parse_int(item.substr(eq + 1), secs) || secs < 1 || secs > 604800)
      throw std::invalid_argument{"must be a list like \"sleep=5,process_raster=7200\" (task type "
                                  "names of a-z, 0-9 and _; seconds from 1 to 604800), got \"" +
                                  item + "\""};
    out[item.substr(0, eq)] = static_cast<int>(secs);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return out;
}

// Checks that are more than a range or a choice.
std::string extra_check(const std::string& name, const std::string& v) {
  if (name == "database.url" && !starts_with(v, "postgresql://") && !starts_with(v, "postgres://"))
    return "must be a postgresql:// URL";
  if (name == "http.public_base_url" && !v.empty()) {
    if (!starts_with(v, "http://") && !starts_with(v, "https://"))
      return "must start with http:// or https://";
    if (v.back() == '/')
      return "must not end with '/'";
  }
  if (name == "workers.task_duration_limits" && v != "-") {
    try {
      parse_duration_limits(v);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
  }
  if (name == "webhooks.retry_schedule") {
    std::string why;
    if (!io::webhooks::parse_schedule(v, &why))
      return why;
  }
  if (name == "requests.pipelines" && v != "-") {
    try {
      io::jobs::parse_pipelines(v, io::jobs::builtin_registry());
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
  }
  if (name == "http.listen_address") {
    bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) {
      return std::isxdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == ':';
    });
    if (!ok)
      return "must be a numeric IPv4 or IPv6 address (e.g. 127.0.0.1 or 0.0.0.0)";
  }
  return {};
}

}  // namespace

const char* to_string(value_origin x) {
  switch (x) {
    case value_origin::default_value: return "default";
    case value_origin::file: return "file";
    case value_origin::environment: return "environment";
    case value_origin::command_line: return "command line";
  }
  return "?";
}

std::string key_spec::env_name() const {
  std::string out = "GEOPLATFORM_" + section + "_" + key;
  for (auto& ch : out)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

const std::vector<key_spec>& config_keys() {
  static const std::vector<key_spec> keys = {
    text("database", "url", "postgresql://geoplatform:geoplatform@127.0.0.1:5433/geoplatform",
         "PostgreSQL URL (libpq URI). The database must have the PostGIS extension.", {}, true),
    integer("database", "pool_size", 4, 1, 64, "Connections in the database pool."),
    integer("database", "statement_timeout_ms", 5000, 100, 3600000,
            "statement_timeout and lock_timeout of every database session (pool and task "
            "workers), in milliseconds."),
    integer("database", "connect_timeout_s", 3, 1, 60, "Time allowed to open a connection."),
    text("http", "listen_address", "127.0.0.1", "Address the HTTP server binds to."),
    integer("http", "port", 8080, 0, 65535, "HTTP port (0 picks a free port and logs it)."),
    optional_text("http", "public_base_url",
                  "Base of every absolute URL the service returns, no trailing slash (empty: "
                  "http://<listen_address>:<port>)."),
    integer("http", "io_threads", 1, 1, 64, "Threads running HTTP I/O."),
    integer("http", "body_limit_bytes", 1048576, 1024, 1073741824,
            "Largest accepted request body (413 above)."),
    integer("http", "header_limit_bytes", 16384, 1024, 1048576,
            "Largest accepted request line plus headers (431 above)."),
    integer("http", "url_limit_bytes", 8192, 256, 1048576,
            "Longest accepted request target, path plus query (414 above)."),
    integer("http", "read_timeout_s", 30, 1, 3600, "Time to receive one whole request."),
    integer("http", "idle_timeout_s", 60, 1, 3600, "Time a keep-alive connection may stay idle."),
    integer("http", "write_timeout_s", 30, 1, 3600,
            "Time a response may wait for the client to take its next piece."),
    integer("http", "max_connections", 1024, 1, 1000000, "Open connections accepted at once."),
    integer("http", "shutdown_grace_s", 10, 0, 600,
            "On SIGINT/SIGTERM, how long in-flight calls may take to finish."),
    integer("auth", "cache_ttl_ms", 2000, 0, 5000,
            "How long a checked API key is cached; a revoked key stops working within this."),
    flag("auth", "health_requires_key", true,
         "Whether GET /health needs an API key (set false for unauthenticated monitors)."),
    integer("auth", "key_rotation_overlap_s", 86400, 0, 7776000,
            "How long a rotated key keeps working beside its successor (unless the rotation "
            "names another overlap)."),
    flag("rate_limits", "enabled", true,
         "Whether each client's calls are limited per route class (submit: the client's "
         "rate_limit_per_minute; read; tiles) on each node; 429 with Retry-After beyond."),
    integer("rate_limits", "read_per_minute", 60000, 1, 100000000,
            "Read calls (status, listings, STAC, features, downloads) a minute per client and "
            "node, for clients without a read_rate_limit_per_minute of their own."),
    integer("rate_limits", "tiles_per_minute", 120000, 1, 100000000,
            "Map tile calls a minute per client and node, for clients without a "
            "tiles_rate_limit_per_minute of their own."),
    integer("health", "max_queue_depth", 10000, 0, 2000000000,
            "GET /health is degraded while more tasks than this wait in the job queue."),
    integer("health", "max_webhook_backlog", 1000, 0, 2000000000,
            "GET /health is degraded while more webhook deliveries than this wait."),
    integer("health", "min_free_mib", 1024, 0, 2000000000,
            "GET /health is degraded while a storage root has less free space than this (MiB)."),
    flag("usage", "enabled", true,
         "Whether each node counts usage per client and hour (GET /admin/usage) and keeps keys' "
         "last_used_at."),
    integer("usage", "flush_ms", 5000, 100, 600000,
            "How often a node adds what it counted to the database (and on a clean stop)."),
    text("storage", "bronze_root", ".local/storage/bronze",
         "Input files: one folder per client inside."),
    text("storage", "silver_root", ".local/storage/silver", "Processed outputs."),
    flag("storage", "allow_virtual_sources", false,
         "Whether source_path may be a GDAL virtual path (/vsis3/, /vsiaz/, /vsicurl/)."),
    text("requests", "default_compression", "deflate",
         "Compression of rasters whose request names none.", {"deflate", "lzw", "zstd"}),
    text("requests", "pipelines", "-",
         "Override of the jobs each request type runs, as JSON, e.g. "
         "{\"vector\": [{\"step\": \"ingest_vector\", \"job\": \"sleep\", "
         "\"params\": {\"ms\": 500}}]} (\"-\" for the built-in table; for staging and "
         "tests)."),
    integer("limits", "max_source_mib", 20480, 1, 16777216,
            "Largest source a request may name (a file, or a folder's matching files), in MiB; "
            "larger fails with source_too_large."),
    integer("limits", "max_expanded_mib", 20480, 1, 16777216,
            "Most a client's archive (a zipped Shapefile) may expand to, in MiB; more fails "
            "with archive_too_large."),
    integer("limits", "max_expansion_ratio", 200, 2, 100000,
            "Largest expansion ratio of a client's archive (zip bombs); more fails with "
            "archive_too_large."),
    integer("limits", "max_megapixels", 4000, 1, 2000000000,
            "Most pixels of one raster, in millions; more fails with raster_too_large."),
    integer("limits", "max_features", 100000000, 1, 2000000000,
            "Most features of one vector source; more fails with too_many_features."),
    integer("limits", "max_kml_mib", 64, 1, 16777216,
            "Largest KML source in MiB (GDAL's KML driver holds the whole document in memory); "
            "larger fails with source_too_large."),
    integer("limits", "copy_writers", 2, 1, 64,
            "Parallel COPY connections of one vector load (one reader feeds them)."),
    integer("requests", "max_restarts", 5, 0, 1000,
            "Restarts of a crashed request actor allowed within restart_window_s; one more "
            "fails the request (error request_actor_crashed)."),
    integer("requests", "restart_window_s", 60, 1, 86400, "The window of max_restarts."),
    integer("requests", "restart_backoff_ms", 200, 1, 600000,
            "Pause before restarting a crashed request actor; doubles with each crash in the "
            "window."),
    integer("requests", "insert_batch", 256, 1, 10000,
            "Most new submissions stored in one transaction (concurrent submissions share "
            "commits)."),
    integer("requests", "insert_groups", 2, 1, 64,
            "Insert transactions of new submissions in flight at once (each on a pooled "
            "connection; the others wait and are grouped). Keep below database.pool_size."),
    integer("requests", "insert_group_min", 16, 1, 10000,
            "Submissions that must wait before a further insert transaction starts while one "
            "is in flight (the first always starts at once)."),
    integer("requests", "first_job_deadline_s", 450, 1, 86400,
            "How long a new request waits for the worker claim that creates its first job; "
            "then its actor creates the job itself."),
    integer("workers", "scheduler_threads", 0, 0, 256,
            "Actor scheduler threads (0 = one per core; CAF's own default would be at least 4)."),
    text("workers", "scheduler_policy", "sharing",
         "Actor scheduler: work stealing (spins briefly when idle) or one shared queue (sleeps "
         "on a condition variable; kinder to small machines).",
         {"stealing", "sharing"}),
    integer("workers", "task_workers", 2, 0, 256,
            "Task workers (detached actors, one database connection each) running job handlers "
            "(0: this node runs no tasks; it accepts and tracks requests only)."),
    integer("workers", "lease_ms", 30000, 200, 3600000,
            "Lease of a running task; renewed every min(lease/3, 500 ms) while it runs. A task "
            "whose lease lapses (its node died) is claimed again."),
    integer("workers", "claim_batch", 1, 1, 100,
            "Tasks a worker claims at once. More helps throughput of short tasks; claimed tasks "
            "wait for their worker, so keep 1 when tasks are long."),
    integer("workers", "retry_base_ms", 1000, 10, 600000,
            "First retry delay of a transient task failure; doubles per attempt, with jitter."),
    integer("workers", "retry_max_ms", 60000, 10, 3600000, "Longest retry delay."),
    integer("workers", "idle_poll_max_ms", 500, 10, 60000,
            "Longest pause of an idle worker between two looks at the queue."),
    integer("workers", "max_task_duration_s", 3600, 1, 604800,
            "A task running longer is asked to stop, then retried or failed."),
    text("workers", "task_duration_limits", "-",
         "Per task type maximum durations in seconds, e.g. \"sleep=5,process_raster=7200\" "
         "(\"-\" for none)."),
    flag("stac", "cache", true,
         "Keep STAC item and search answers in memory (per node, per client scope), dropped on "
         "every catalogue write."),
    integer("stac", "cache_entries", 2000, 1, 1000000, "Most STAC answers kept in the cache."),
    integer("stac", "cache_ttl_s", 60, 1, 86400, "Longest time a cached STAC answer is served."),
    integer("stac", "version_poll_ms", 1000, 100, 60000,
            "How often a node reads the catalogue's version, to drop cached answers after "
            "another node's write."),
    flag("webhooks", "enabled", true,
         "Deliver webhooks from this node (off: its deliveries wait for a node that delivers)."),
    integer("webhooks", "concurrency", 512, 1, 10000,
            "Webhook attempts in flight on a node (sixteen hosts at their per_host_max)."),
    integer("webhooks", "per_host", 16, 1, 1000,
            "Webhook attempts in flight to one host (host:port) on a node to begin with: a "
            "receiver that hangs or fails holds only these."),
    integer("webhooks", "per_host_max", 32, 1, 1000,
            "The most attempts in flight one host can earn on a node by answering promptly "
            "(at or below per_host: none earned)."),
    integer("webhooks", "per_client", 0, 0, 100000,
            "Deliveries of one client held on a node (in flight or waiting for their host), 0 "
            "for no limit: a client whose receivers are slow, under any number of host names, "
            "then holds only these."),
    integer("webhooks", "claim_batch", 256, 1, 10000,
            "Deliveries claimed from the outbox at once (at most 16 x per_host of one host)."),
    integer("webhooks", "poll_ms", 250, 10, 60000,
            "How often a node looks for due deliveries while none are in flight."),
    integer("webhooks", "lease_ms", 90000, 1000, 3600000,
            "How long a claimed delivery is held before another node may attempt it (more than "
            "four times webhooks.timeout_ms)."),
    integer("webhooks", "connect_timeout_ms", 15000, 100, 600000,
            "Longest wait for DNS, TCP connect and TLS handshake of an attempt."),
    integer("webhooks", "timeout_ms", 15000, 100, 600000, "Longest wait for a whole attempt."),
    text("webhooks", "retry_schedule", "5s,30s,2m,10m,30m,1h,3h,6h,12h",
         "Waits before the 2nd, 3rd, ... attempt (each with full jitter; the last repeats until "
         "the retry window passed)."),
    integer("webhooks", "retry_window_s", 86400, 0, 2592000,
            "A failing delivery is retried for at least this long before it is dead."),
    integer("webhooks", "max_response_bytes", 4096, 0, 1048576,
            "Bytes of a receiver's answer read (and kept as its error)."),
    integer("webhooks", "max_payload_bytes", 1048576, 4096, 67108864,
            "A larger event body is sent without its stac_metadata."),
    flag("webhooks", "allow_private_addresses", false,
         "Deliver to loopback, private and link-local addresses (local demos and tests only)."),
    optional_text("webhooks", "ca_file",
                  "A PEM file of extra trust anchors for HTTPS receivers (a private CA)."),
    integer("webhooks", "io_threads", 1, 1, 64, "Threads of the webhook HTTP client."),
    integer("webhooks", "secret_grace_s", 86400, 0, 2592000,
            "How long a rotated webhook secret keeps signing beside the new one."),
    text("log", "level", "info", "Log level.",
         {"trace", "debug", "info", "warn", "error", "off"}),
    text("log", "format", "text", "Log line format: human text or JSON lines.", {"text", "json"}),
    flag("log", "access", true,
         "One line per answered HTTP call (event http: correlation id, client, route, status, "
         "duration), at info."),
    flag("metrics", "enabled", true,
         "Whether GET /metrics answers and HTTP calls are counted for it."),
  };
  return keys;
}

config_loader::config_loader() {
  for (const auto& k : config_keys())
    values_[k.name()] = entry{k.default_value, value_origin::default_value, {}};
}

const key_spec& config_loader::spec(const std::string& name, const std::string& context) const {
  for (const auto& k : config_keys())
    if (k.name() == name)
      return k;
  throw config_error{"unknown configuration key '" + name + "' (" + context +
                     "); see 'geoplatform config keys'"};
}

void config_loader::load_file(const std::string& path) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    throw config_error{"cannot read configuration file " + path + " (line " +
                       std::to_string(src.begin.line) + "): " + std::string{e.description()}};
  }
  for (const auto& [section, node] : tbl) {
    std::string sec{section.str()};
    const auto* t = node.as_table();
    if (!t)
      throw config_error{"configuration file " + path + ": '" + sec +
                         "' must be a [section] table"};
    for (const auto& [key, value] : *t) {
      std::string name = sec + "." + std::string{key.str()};
      const auto& k = spec(name, "in file " + path);
      std::string v;
      if (k.type == kind::integer) {
        if (!value.is_integer())
          throw config_error{"[" + sec + "] " + std::string{key.str()} + " in " + path +
                             ": must be an integer"};
        v = std::to_string(value.as_integer()->get());
      } else if (k.type == kind::boolean) {
        if (!value.is_boolean())
          throw config_error{"[" + sec + "] " + std::string{key.str()} + " in " + path +
                             ": must be true or false"};
        v = value.as_boolean()->get() ? "true" : "false";
      } else {
        if (!value.is_string())
          throw config_error{"[" + sec + "] " + std::string{key.str()} + " in " + path +
                             ": must be a string"};
        v = value.as_string()->get();
      }
      values_[name] = entry{v, value_origin::file, path};
    }
  }
}

void config_loader::load_environment(const std::map<std::string, std::string>& env) {
  for (const auto& k : config_keys())
    if (auto i = env.find(k.env_name()); i != env.end())
      values_[k.name()] = entry{i->second, value_origin::environment, k.env_name()};
}

void config_loader::set(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos)
    throw config_error{"--set expects section.key=value, got '" + assignment + "'"};
  set(assignment.substr(0, eq), assignment.substr(eq + 1));
}

void config_loader::set(const std::string& name, const std::string& value) {
  spec(name, "on the command line");
  values_[name] = entry{value, value_origin::command_line, {}};
}

config config_loader::build() const {
  std::map<std::string, int64_t> ints;
  std::map<std::string, std::string> strs;
  for (const auto& k : config_keys()) {
    const auto& e = values_.at(k.name());
    auto fail = [&](const std::string& why) {
      auto shown = k.secret ? persistence::redact_url(e.value) : e.value;
      throw config_error{"[" + k.section + "] " + k.key + " = \"" + shown + "\" (from " +
                         where(e.origin, e.source) + "): " + why};
    };
    if (k.type == kind::integer) {
      int64_t v = 0;
      if (!parse_int(e.value, v))
        fail("must be an integer");
      if (v < k.min || v > k.max)
        fail("must be between " + std::to_string(k.min) + " and " + std::to_string(k.max));
      ints[k.name()] = v;
    } else {
      if (e.value.empty() && !k.may_be_empty)
        fail("must not be empty");
      if (!k.choices.empty() &&
          std::find(k.choices.begin(), k.choices.end(), e.value) == k.choices.end()) {
        std::string list;
        for (const auto& c : k.choices)
          list += (list.empty() ? "" : ", ") + c;
        fail("must be one of: " + list);
      }
      if (auto why = extra_check(k.name(), e.value); !why.empty())
        fail(why);
      strs[k.name()] = e.value;
    }
  }
  auto i = [&](const char* n) { return static_cast<int>(ints.at(n)); };
  auto b = [&](const char* n) { return strs.at(n) == "true"; };
  config c;
  c.database = {strs.at("database.url"), i("database.pool_size"),
                i("database.statement_timeout_ms"), i("database.connect_timeout_s")};
  c.http = {strs.at("http.listen_address"), i("http.port"), strs.at("http.public_base_url"),
            false, i("http.io_threads"), i("http.body_limit_bytes"), i("http.header_limit_bytes"),
            i("http.url_limit_bytes"),
            i("http.read_timeout_s"), i("http.idle_timeout_s"), i("http.write_timeout_s"),
            i("http.max_connections"),
            i("http.shutdown_grace_s")};
  c.http.public_base_url_derived = c.http.public_base_url.empty();
  if (c.http.public_base_url_derived)
    c.http.public_base_url = base_url_for(c.http.listen_address, c.http.port);
  c.auth = {i("auth.cache_ttl_ms"), b("auth.health_requires_key"),
            i("auth.key_rotation_overlap_s")};
  c.rate_limits = {b("rate_limits.enabled"), i("rate_limits.read_per_minute"),
                   i("rate_limits.tiles_per_minute")};
  c.usage = {b("usage.enabled"), i("usage.flush_ms")};
  c.health = {i("health.max_queue_depth"), i("health.max_webhook_backlog"),
              i("health.min_free_mib")};
  c.storage = {strs.at("storage.bronze_root"), strs.at("storage.silver_root"),
               b("storage.allow_virtual_sources")};
  c.limits = {i("limits.max_source_mib"), i("limits.max_expanded_mib"),
              i("limits.max_expansion_ratio"), i("limits.max_megapixels"),
              i("limits.max_features"), i("limits.max_kml_mib"), i("limits.copy_writers")};
  c.requests = {strs.at("requests.default_compression"), strs.at("requests.pipelines"),
                i("requests.max_restarts"), i("requests.restart_window_s"),
                i("requests.restart_backoff_ms"), i("requests.insert_batch"),
                i("requests.insert_groups"), i("requests.insert_group_min"),
                i("requests.first_job_deadline_s")};
  c.workers = {i("workers.scheduler_threads"), strs.at("workers.scheduler_policy"),
               i("workers.task_workers"), i("workers.lease_ms"), i("workers.claim_batch"),
               i("workers.retry_base_ms"), i("workers.retry_max_ms"),
               i("workers.idle_poll_max_ms"), i("workers.max_task_duration_s"),
               parse_duration_limits(strs.at("workers.task_duration_limits"))};
  c.stac = {b("stac.cache"), i("stac.cache_entries"), i("stac.cache_ttl_s"),
            i("stac.version_poll_ms")};
  c.webhooks = {b("webhooks.enabled"),
                i("webhooks.concurrency"),
                i("webhooks.per_host"),
                i("webhooks.per_host_max"),
                i("webhooks.per_client"),
                i("webhooks.claim_batch"),
                i("webhooks.poll_ms"),
                i("webhooks.lease_ms"),
                i("webhooks.connect_timeout_ms"),
                i("webhooks.timeout_ms"),
                strs.at("webhooks.retry_schedule"),
                i("webhooks.retry_window_s"),
                i("webhooks.max_response_bytes"),
                i("webhooks.max_payload_bytes"),
                b("webhooks.allow_private_addresses"),
                strs.at("webhooks.ca_file"),
                i("webhooks.io_threads"),
                i("webhooks.secret_grace_s")};
  if (c.webhooks.lease_ms <= 4 * static_cast<int64_t>(c.webhooks.timeout_ms))
    throw config_error{"[webhooks] lease_ms = " + std::to_string(c.webhooks.lease_ms) +
                       ": must be more than four times webhooks.timeout_ms (" +
                       std::to_string(c.webhooks.timeout_ms) +
                       "): a claim may wait for three attempts of its host before its own"};
  c.log = {strs.at("log.level"), strs.at("log.format"), b("log.access")};
  c.metrics = {b("metrics.enabled")};
  return c;
}

std::vector<std::pair<std::string, std::string>> config_loader::describe() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : config_keys()) {
    const auto& e = values_.at(k.name());
    auto shown = k.secret ? persistence::redact_url(e.value) : e.value;
    if (shown.empty() && k.may_be_empty)
      shown = "\"\" (derived)";
    out.emplace_back(k.name(), shown + "  (" + where(e.origin, e.source) + ")");
  }
  return out;
}

std::string base_url_for(const std::string& address, int port) {
  bool v6 = address.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

int scheduler_threads_for(int configured, unsigned cores) {
  if (configured > 0)
    return configured;
  return cores > 0 ? static_cast<int>(cores) : 1;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** p = environ; p && *p; ++p) {
    std::string kv{*p};
    auto eq = kv.find('=');
    if (eq != std::string::npos && starts_with(kv, "GEOPLATFORM_"))
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

}  // namespace gp::app
