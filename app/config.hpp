#pragma once
// geoplatform's configuration: defaults < TOML file < GEOPLATFORM_* environment < command line.
// Every key is declared once in `config_keys()`; docs/configuration.md lists the same keys.
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace gp::app {

/// The validated configuration handed to the rest of the program as plain values.
struct config {
  struct database_t {
    std::string url;
    int pool_size;
    int statement_timeout_ms;
    int connect_timeout_s;
  } database;
  struct http_t {
    std::string listen_address;
    int port;
    std::string public_base_url;
    /// True when public_base_url was derived from listen_address and port (not configured).
    bool public_base_url_derived;
    int io_threads;
    int body_limit_bytes;
    int header_limit_bytes;
    int url_limit_bytes;
    int read_timeout_s;
    int idle_timeout_s;
    int write_timeout_s;
    int max_connections;
    int shutdown_grace_s;
  } http;
  struct auth_t {
    int cache_ttl_ms;
    bool health_requires_key;
    int key_rotation_overlap_s;
  } auth;
  struct rate_limits_t {
    bool enabled;
    int read_per_minute;
    int tiles_per_minute;
  } rate_limits;
  struct health_t {
    int max_queue_depth;
    int max_webhook_backlog;
    int min_free_mib;
  } health;
  struct usage_t {
    bool enabled;
    int flush_ms;
  } usage;
  struct storage_t {
    std::string bronze_root;
    std::string silver_root;
    bool allow_virtual_sources;
  } storage;
  struct limits_t {
    int max_source_mib;
    int max_expanded_mib;
    int max_expansion_ratio;
    int max_megapixels;
    int max_features;
    int max_kml_mib;
    int copy_writers;
  } limits;
  struct requests_t {
    std::string default_compression;
    /// "-" or a JSON override of the request types' jobs.
    std::string pipelines;
    int max_restarts;
    int restart_window_s;
    int restart_backoff_ms;
    int insert_batch;
    int insert_groups;
    int insert_group_min;
    int first_job_deadline_s;
  } requests;
  struct workers_t {
    int scheduler_threads;
    std::string scheduler_policy;
    int task_workers;
    int lease_ms;
    int claim_batch;
    int retry_base_ms;
    int retry_max_ms;
    int idle_poll_max_ms;
    int max_task_duration_s;
    /// task type → seconds (parsed from task_duration_limits).
    std::map<std::string, int> task_duration_limits;
  } workers;
  struct stac_t {
    bool cache;
    int cache_entries;
    int cache_ttl_s;
    int version_poll_ms;
  } stac;
  struct webhooks_t {
    bool enabled;
    int concurrency;
    int per_host;
    int per_host_max;
    int per_client;
    int claim_batch;
    int poll_ms;
    int lease_ms;
    int connect_timeout_ms;
    int timeout_ms;
    std::string retry_schedule;
    int retry_window_s;
    int max_response_bytes;
    int max_payload_bytes;
    bool allow_private_addresses;
    std::string ca_file;
    int io_threads;
    int secret_grace_s;
  } webhooks;
  struct log_t {
    std::string level;
    std::string format;
    bool access;
  } log;
  struct metrics_t {
    bool enabled;
  } metrics;
};

/// Where a value came from (shown by `geoplatform config show`).
enum class value_origin { default_value, file, environment, command_line };

const char* to_string(value_origin x);

/// One declared key.
struct key_spec {
  std::string section;
  std::string key;
  enum class kind { integer, string, boolean } type;
  std::string default_value;
  std::string description;
  /// Integers: inclusive bounds. Strings: allowed values (empty = any non-empty string).
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices;
  /// Mask the value in `config show` (passwords inside URLs).
  bool secret = false;
  /// Strings: whether "" is allowed (it then means "derive a default").
  bool may_be_empty = false;

  std::string name() const { return section + "." + key; }
  std::string env_name() const;
};

/// Every configuration key, in documentation order.
const std::vector<key_spec>& config_keys();

/// A wrong value; the message names the key and where the value came from.
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Layered raw values before validation.
class config_loader {
public:
  config_loader();

  /// Reads a TOML file; unknown sections/keys and wrong types are errors.
  void load_file(const std::string& path);

  /// Reads GEOPLATFORM_<SECTION>_<KEY> variables from `env` (name → value).
  void load_environment(const std::map<std::string, std::string>& env);

  /// Applies one `section.key=value` override from the command line.
  void set(const std::string& assignment);

  /// Applies `section.key` = `value` from the command line.
  void set(const std::string& name, const std::string& value);

  /// Validates every key and builds the configuration. Throws config_error.
  config build() const;

  /// Effective value and origin per key (secrets masked), for `config show`.
  std::vector<std::pair<std::string, std::string>> describe() const;

private:
  struct entry {
    std::string value;
    value_origin origin = value_origin::default_value;
    std::string source;  // file path or variable name
  };
  const key_spec& spec(const std::string& name, const std::string& context) const;
  std::map<std::string, entry> values_;
};

/// `http://<address>:<port>` (IPv6 addresses in brackets).
std::string base_url_for(const std::string& address, int port);

/// CAF scheduler threads for `workers.scheduler_threads` on a machine with `cores` cores: the
/// setting when positive, otherwise one per core (at least one). CAF 0.17's own default would be
/// max(cores, 4), which on a two-core machine doubles the threads competing for the cores.
int scheduler_threads_for(int configured, unsigned cores);

/// The process environment as a map (only GEOPLATFORM_* variables).
std::map<std::string, std::string> process_environment();

}  // namespace gp::app
