#include "persistence/webhook_outbox.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include <pqxx/pqxx>

#include "persistence/audit.hpp"
#include "persistence/pg_array.hpp"
#include "persistence/prepared.hpp"

namespace gp::persistence {

namespace sql {

#define GP_RFC3339(col) "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"

// The authority of a URL as the per-host limit keys it.
#define GP_URL_HOST(url) "lower(substring(" url " from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)'))"

// The event's document is built from the row just written, so it carries exactly the status's
// endpoints and stac_metadata (relative endpoints are made absolute when it is sent). An event of
// the same request still waiting (pending, or claimed by a node whose lease ran out) is
// replaced: its receiver hears of the latest end only.
constexpr const char* enqueue = R"sql(
WITH r AS (
  SELECT * FROM platform.requests
  WHERE request_id = $1 AND callback_url IS NOT NULL
    AND status IN ('completed', 'failed', 'cancelled')),
replaced AS (
  UPDATE platform.webhook_delivery_state s
  SET status = 'failed', last_error = 'replaced by a later event of the request',
      claimed_by = NULL, next_attempt_at = NULL, lease_until = NULL, updated_at = now()
  FROM r, platform.webhook_deliveries d
  WHERE d.request_id = r.request_id AND s.delivery_id = d.delivery_id
    AND (s.status = 'pending' OR (s.status = 'delivering' AND s.lease_until <= now()))),
event AS (
INSERT INTO platform.webhook_deliveries (delivery_id, request_id, client_id, url, host, event, payload)
SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), r.request_id, r.client_id,
       r.callback_url, )sql" GP_URL_HOST("r.callback_url") R"sql(,
       'platform.request.' || r.status,
       jsonb_build_object(
         'event', 'platform.request.' || r.status,
         'timestamp', to_char(r.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'request_id', r.request_id::text,
         'dataset_id', r.dataset_id,
         'resource_id', r.resource_id,
         'version_id', r.version_id,
         'client_request_id', r.client_request_id,
         'status', r.status,
         'endpoints', CASE WHEN r.status = 'completed' THEN r.endpoints END,
         'stac_metadata', CASE WHEN r.status = 'completed' THEN r.stac_metadata END,
         'error', CASE WHEN r.status = 'failed' THEN jsonb_build_object(
                    'code', coalesce(r.error_code, 'internal'),
                    'message', coalesce(r.error_message, ''),
                    'retryable', coalesce(r.error_retryable, false)) END,
         'processing_time_seconds',
           round(extract(epoch FROM r.completed_at - coalesce(r.started_at, r.completed_at))::numeric, 3))::json
FROM r
RETURNING delivery_id, client_id, host)
INSERT INTO platform.webhook_delivery_state (delivery_id, client_id, host)
SELECT delivery_id, client_id, host FROM event)sql";

// Whether the event of delivery `id` has a later one of its request (which replaced it). Two
// lookups by key and one range of the request index, with no join for the planner to choose
// (record_outcomes plans without nested loops).
#define GP_REPLACED(id)                                                                           \
  "EXISTS (SELECT 1 FROM platform.webhook_deliveries n WHERE n.request_id = (SELECT x.request_id" \
  " FROM platform.webhook_deliveries x WHERE x.delivery_id = " id ") AND n.created_at > (SELECT"  \
  " x.created_at FROM platform.webhook_deliveries x WHERE x.delivery_id = " id "))"

// A stopping node's claims, due again at once; an event a later one of its request replaced
// while it was held fails as replaced rather than reach its receiver after the later one. The
// rows held have a next_attempt_at (webhook_delivery_state_due_check, migration 0018), which
// lets the due index find them among the pending rows rather than a scan read every delivery
// ever made.
constexpr const char* release_node = R"sql(
UPDATE platform.webhook_delivery_state s
SET status = CASE WHEN h.replaced THEN 'failed' ELSE 'pending' END,
    last_error = CASE WHEN h.replaced THEN 'replaced by a later event of the request'
                      ELSE s.last_error END,
    next_attempt_at = CASE WHEN h.replaced THEN NULL ELSE s.next_attempt_at END,
    claimed_by = NULL, lease_until = NULL, updated_at = now()
FROM (SELECT delivery_id, )sql" GP_REPLACED("h.delivery_id") R"sql( AS replaced
      FROM platform.webhook_delivery_state h
      WHERE h.next_attempt_at IS NOT NULL AND h.status = 'delivering' AND h.claimed_by = $1) h
WHERE s.delivery_id = h.delivery_id AND s.status = 'delivering' AND s.claimed_by = $1)sql";

// What a claim takes (the rows of `due`, locked by it) and returns. The claim changes no
// indexed column (the lease has a column of its own, next_attempt_at stays), so PostgreSQL can
// rewrite each row in place (migration 0018). They are updated by their key, not their ctid: a
// row changed and committed after the statement began is locked in its newest version, which a
// ctid lookup under the statement's snapshot would not find. The client's secrets and allowlist
// come with the claim: both are read as they are now, so a rotation or an allowlist change
// applies to the next attempt. $1 is the node, $3 the lease.
const std::string claim_take = R"sql(
claimed AS (
  UPDATE platform.webhook_delivery_state s
  SET status = 'delivering', attempts = s.attempts + 1, claimed_by = $1,
      lease_until = now() + $3 * interval '1 millisecond', last_attempt_at = now(),
      updated_at = now()
  FROM due WHERE s.delivery_id = due.delivery_id
  RETURNING s.delivery_id, s.attempts, s.retry_since, s.lease_until, due.next_attempt_at AS due_at)
SELECT d.delivery_id, coalesce(d.request_id, ''), d.client_id, d.url, d.host, d.event,
       d.payload::text, s.attempts, extract(epoch FROM s.retry_since)::bigint,
       c.webhook_secret,
       coalesce(CASE WHEN c.previous_secret_expires_at > now() THEN c.previous_webhook_secret END, ''),
       c.callback_hosts::text, c.is_active, (extract(epoch FROM s.due_at) * 1000000)::bigint,
       (extract(epoch FROM s.lease_until) * 1000000)::bigint
FROM claimed s
JOIN platform.webhook_deliveries d ON d.delivery_id = s.delivery_id
JOIN platform.clients c ON c.client_id = d.client_id)sql";

// The $2 oldest due rows no other claim holds, of hosts and clients not busy ($4, $5), for a
// claim that no host or client limit can cut short. Rows whose lease runs (those the nodes hold
// now) are passed over; a claim whose lease ran out (its node died) is due again and found among
// them. Being due is a range of the due index: the scan reads the index in order and stops after
// $2 rows it could lock (see unflushed_claim).
const std::string claim_oldest = R"sql(
WITH due AS (
  SELECT delivery_id, next_attempt_at FROM platform.webhook_delivery_state
  WHERE next_attempt_at <= now() AND next_attempt_at >= to_timestamp($6::bigint / 1000000.0)
    AND (lease_until IS NULL OR lease_until <= now())
    AND host <> ALL($4::text[]) AND client_id <> ALL($5::text[])
  ORDER BY next_attempt_at LIMIT $2
  FOR UPDATE SKIP LOCKED),)sql" + claim_take;

// The same candidates, $10 of them; at most $5 go to one host and, of one client, its room
// ($8/$9, else $7): the due rows of one busy receiver (or client) never fill a claim (the
// candidates not taken are unlocked when the claim's transaction ends).
const std::string claim_limited = R"sql(
WITH candidates AS (
  SELECT delivery_id, host, client_id, next_attempt_at
  FROM platform.webhook_delivery_state
  WHERE next_attempt_at <= now() AND next_attempt_at >= to_timestamp($11::bigint / 1000000.0)
    AND (lease_until IS NULL OR lease_until <= now())
    AND host <> ALL($4::text[]) AND client_id <> ALL($6::text[])
  ORDER BY next_attempt_at LIMIT $10
  FOR UPDATE SKIP LOCKED),
rooms AS (
  SELECT * FROM unnest($8::text[], $9::text[]::int[]) AS r(client_id, room)),
due AS (
  SELECT delivery_id, next_attempt_at FROM (
    SELECT h.delivery_id, h.next_attempt_at, coalesce(r.room, $7) AS room,
           row_number() OVER (PARTITION BY h.client_id
                              ORDER BY h.next_attempt_at, h.delivery_id) AS m
    FROM (
      SELECT delivery_id, client_id, next_attempt_at,
             row_number() OVER (PARTITION BY host ORDER BY next_attempt_at, delivery_id) AS n
      FROM candidates) h
    LEFT JOIN rooms r ON r.client_id = h.client_id
    WHERE n <= $5) c
  WHERE m <= room ORDER BY next_attempt_at, delivery_id LIMIT $2),)sql" + claim_take;

// A retry of an event that a later end of its request replaced meanwhile (it was in flight when
// the later one was written) is not made, nor is a claim given back unattempted: that delivery
// fails as replaced. The rows are found by their keys ($1, one index scan) and matched to their
// outcomes by a hash join (see unflushed_outcomes); each outcome's `replaced` is computed once
// (OFFSET 0 keeps the subquery whole rather than copy it into the three columns using it). An
// attempt's last_attempt_at becomes the time it began ($9, µs; 0 keeps the claim's). An outcome
// is written only by the claim it answers: the node ($8), the attempt and the lease's end ($10,
// µs) match. The lease names the claim: after a redelivery (attempts from 0 again) and as many
// claims, a late outcome of a claim before it would otherwise match the attempt in flight.
constexpr const char* outcomes = R"sql(
UPDATE platform.webhook_delivery_state s
SET status = CASE WHEN o.replaced THEN 'failed' ELSE o.status END,
    attempts = CASE WHEN o.attempted THEN s.attempts ELSE s.attempts - 1 END,
    last_status_code = CASE WHEN o.attempted THEN nullif(o.code, 0) ELSE s.last_status_code END,
    last_error = CASE WHEN o.replaced THEN 'replaced by a later event of the request'
                      WHEN NOT o.attempted THEN s.last_error
                      ELSE nullif(o.error, '') END,
    next_attempt_at = CASE WHEN o.status = 'pending' AND NOT o.replaced
                           THEN now() + o.retry_ms * interval '1 millisecond' END,
    delivered_at = CASE WHEN o.status = 'delivered' THEN now() ELSE s.delivered_at END,
    last_attempt_at = CASE WHEN o.attempted AND o.began_us > 0
                           THEN to_timestamp(o.began_us / 1000000.0) ELSE s.last_attempt_at END,
    claimed_by = NULL, lease_until = NULL, updated_at = now()
FROM (SELECT u.*, u.status = 'pending' AND )sql" GP_REPLACED("u.delivery_id") R"sql( AS replaced
      FROM unnest($1::text[], $2::text[]::int[], $3::text[], $4::text[]::int[], $5::text[],
                  $6::text[]::bigint[], $7::text[]::bool[], $9::text[]::bigint[],
                  $10::text[]::bigint[])
             AS u(delivery_id, attempts, status, code, error, retry_ms, attempted, began_us,
                  lease_us)
      OFFSET 0) o
WHERE s.delivery_id = ANY($1::text[]) AND s.delivery_id = o.delivery_id
  AND s.attempts = o.attempts AND s.status = 'delivering' AND s.claimed_by = $8
  AND (extract(epoch FROM s.lease_until) * 1000000)::bigint = o.lease_us)sql";

// A delivery as the API shows it: its event and where it stands.
#define GP_DELIVERY_FROM                                                                          \
  " FROM platform.webhook_deliveries d JOIN platform.webhook_delivery_state s"                    \
  " ON s.delivery_id = d.delivery_id "

#define GP_DELIVERY_COLUMNS                                                                       \
  "d.delivery_id, coalesce(d.request_id, ''), d.client_id, d.url, d.event, s.status, s.attempts, " \
  "coalesce(s.last_status_code, 0), coalesce(s.last_error, ''), "                                 \
  "CASE WHEN s.status = 'pending' THEN " GP_RFC3339("s.next_attempt_at") " ELSE '' END, "         \
  GP_RFC3339("s.last_attempt_at") ", " GP_RFC3339("s.delivered_at") ", " GP_RFC3339("d.created_at")

constexpr const char* list = "SELECT " GP_DELIVERY_COLUMNS GP_DELIVERY_FROM R"sql(
WHERE ($1::text = '' OR d.client_id = $1) AND ($2::text = '' OR d.request_id = $2::bpchar)
  AND ($3::text = '' OR s.status = $3)
  AND ($4::text = '' OR (d.created_at, d.delivery_id) <
       (SELECT created_at, delivery_id FROM platform.webhook_deliveries WHERE delivery_id = $4))
ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT $5)sql";

constexpr const char* find = "SELECT " GP_DELIVERY_COLUMNS GP_DELIVERY_FROM R"sql(
WHERE d.delivery_id = $1 AND ($2::text = '' OR d.client_id = $2))sql";

constexpr const char* redeliver = R"sql(
UPDATE platform.webhook_delivery_state
SET status = 'pending', attempts = 0, next_attempt_at = now(), retry_since = now(),
    claimed_by = NULL, lease_until = NULL, updated_at = now()
WHERE delivery_id = $1 AND (status <> 'delivering' OR lease_until <= now())
RETURNING delivery_id)sql";

// What the audit shows of a delivery (never its payload).
constexpr const char* snapshot = R"sql(
SELECT jsonb_build_object('delivery_id', d.delivery_id, 'request_id', d.request_id,
                          'client_id', d.client_id, 'event', d.event, 'status', s.status,
                          'attempts', s.attempts, 'last_status_code', s.last_status_code)::text
)sql" GP_DELIVERY_FROM "WHERE d.delivery_id = $1";

constexpr const char* ping = R"sql(
WITH event AS (
  INSERT INTO platform.webhook_deliveries (delivery_id, client_id, url, host, event, payload)
  VALUES ('msg_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, )sql" GP_URL_HOST("$2") R"sql(,
          'platform.ping', $3::json)
  RETURNING delivery_id, client_id, host)
INSERT INTO platform.webhook_delivery_state (delivery_id, client_id, host)
SELECT delivery_id, client_id, host FROM event
RETURNING delivery_id)sql";

#undef GP_DELIVERY_FROM
#undef GP_DELIVERY_COLUMNS
#undef GP_URL_HOST
#undef GP_RFC3339

}  // namespace sql

namespace {

delivery_status status_of(const std::string& word) {
  if (auto s = parse_delivery_status(word))
    return *s;
  throw std::runtime_error("platform.webhook_delivery_state.status holds '" + word +
                           "', which is not a delivery status");
}

webhook_delivery delivery_of(const pqxx::row& r) {
  webhook_delivery d;
  d.delivery_id = r[0].as<std::string>();
  d.request_id = r[1].as<std::string>();
  d.client_id = r[2].as<std::string>();
  d.url = r[3].as<std::string>();
  d.event = r[4].as<std::string>();
  d.status = status_of(r[5].as<std::string>());
  d.attempts = r[6].as<int>();
  d.last_status_code = r[7].as<int>();
  d.last_error = r[8].as<std::string>();
  d.next_attempt_at = r[9].as<std::string>();
  d.last_attempt_at = r[10].as<std::string>();
  d.delivered_at = r[11].as<std::string>();
  d.created_at = r[12].as<std::string>();
  return d;
}

// The dispatcher's bookkeeping runs in transactions whose commit does not wait for the WAL
// flush: a claim or an outcome lost to a database crash is made again (the delivery is attempted
// again under the same webhook-id: at least once, as promised), and waiting for a flush per
// claim and per batch of outcomes would bound the delivery rate by the disk's.

/// Such a transaction, for a batch of outcomes. Planned once for every call, and never as a
/// nested loop.
/// The rows still held look like almost none to PostgreSQL's statistics (few are 'delivering',
/// and this node's id is new to them), and on such an estimate it would read the whole table
/// first and evaluate the outcomes again for every row held: 25-110 ms for 256 outcomes on a
/// table of 10,000 deliveries, against 2-4 ms. A hash join costs the batch's size whatever the
/// estimates say.
void unflushed_outcomes(pqxx::work& tx) {
  tx.exec("SET LOCAL synchronous_commit = off; SET LOCAL plan_cache_mode = force_generic_plan; "
          "SET LOCAL enable_nestloop = off");
}

/// Such a transaction, for a claim. It is planned once for every call, and the plan must read the due
/// index in order from its oldest row and stop after the claim's size. PostgreSQL's plan for an
/// unknown LIMIT is otherwise free to read and sort every due row (19 ms for a backlog of 30,000,
/// against 3 ms), which its statistics make it choose after a large backlog is analysed; and a
/// plan made again for each call costs 1-2 ms.
void unflushed_claim(pqxx::work& tx) {
  tx.exec("SET LOCAL synchronous_commit = off; SET LOCAL plan_cache_mode = force_generic_plan; "
          "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off");
}

}  // namespace

void enqueue_request_event(pqxx::transaction_base& tx, const std::string& request_id) {
  tx.exec_params(sql::enqueue, request_id);
}

std::vector<claimed_delivery> claim_deliveries(
  pqxx::connection& c, const std::string& node, int limit, int per_host, int64_t lease_ms,
  const std::vector<std::string>& busy_hosts, const std::vector<std::string>& busy_clients,
  int per_client, const std::vector<std::pair<std::string, int>>& rooms, int64_t due_from_us,
  int64_t* oldest_due_us) {
  pqxx::work tx{c};
  unflushed_claim(tx);
  std::vector<claimed_delivery> out;
  std::vector<std::string> room_clients, room_sizes;
  for (const auto& [client, room] : rooms) {
    room_clients.push_back(client);
    room_sizes.push_back(std::to_string(room));
  }
  // Without a host or client limit that could leave a due row out, the oldest are taken as they
  // are; else four times as many are locked to choose from.
  bool limits_bind = per_host < limit || per_client < limit || !rooms.empty();
  auto claimed =
    limits_bind
      ? tx.exec_prepared(prepared(c, "gp_claim_deliveries_limited", sql::claim_limited.c_str()), node,
                         limit, lease_ms, to_pg_array(busy_hosts), per_host,
                         to_pg_array(busy_clients), per_client, to_pg_array(room_clients),
                         to_pg_array(room_sizes), 4 * limit, due_from_us)
      : tx.exec_prepared(prepared(c, "gp_claim_deliveries", sql::claim_oldest.c_str()), node, limit,
                         lease_ms, to_pg_array(busy_hosts), to_pg_array(busy_clients),
                         due_from_us);
  int64_t oldest = 0;
  std::string hosts_text;
  std::vector<std::string> hosts_parsed;
  for (const auto& r : claimed) {
    claimed_delivery d;
    d.delivery_id = r[0].as<std::string>();
    d.request_id = r[1].as<std::string>();
    d.client_id = r[2].as<std::string>();
    d.url = r[3].as<std::string>();
    d.host = r[4].as<std::string>();
    d.event = r[5].as<std::string>();
    d.payload_json = r[6].as<std::string>();
    d.attempts = r[7].as<int>();
    d.retry_since = r[8].as<int64_t>();
    d.secrets.push_back(r[9].as<std::string>());
    if (auto previous = r[10].as<std::string>(); !previous.empty())
      d.secrets.push_back(previous);
    // One client's rows carry the same allowlist: it is parsed once per run of them.
    if (std::string_view hosts{r[11].c_str(), r[11].size()}; hosts != hosts_text) {
      hosts_text.assign(hosts);
      hosts_parsed = from_pg_array(hosts_text);
    }
    d.callback_hosts = hosts_parsed;
    d.client_active = r[12].as<bool>();
    d.lease_us = r[14].as<int64_t>();
    auto due = r[13].as<int64_t>();
    oldest = oldest == 0 ? due : std::min(oldest, due);
    out.push_back(std::move(d));
  }
  tx.commit();
  if (oldest_due_us)
    *oldest_due_us = oldest;
  return out;
}

int release_claims(pqxx::connection& c, const std::string& node) {
  pqxx::nontransaction tx{c};
  return static_cast<int>(tx.exec_params(sql::release_node, node).affected_rows());
}

int record_outcomes(pqxx::connection& c, const std::string& node,
                    const std::vector<delivery_outcome>& outcomes) {
  if (outcomes.empty())
    return 0;
  std::vector<std::string> ids, attempts, statuses, codes, errors, retries, attempted, began,
    leases;
  for (const auto& o : outcomes) {
    ids.push_back(o.delivery_id);
    attempts.push_back(std::to_string(o.attempts));
    statuses.push_back(std::string{name_of(o.status)});
    codes.push_back(std::to_string(o.status_code));
    errors.push_back(o.error);
    retries.push_back(std::to_string(o.retry_in_ms));
    attempted.push_back(o.attempted ? "t" : "f");
    began.push_back(std::to_string(o.attempted_at_us));
    leases.push_back(std::to_string(o.lease_us));
  }
  pqxx::work tx{c};
  unflushed_outcomes(tx);
  auto r = tx.exec_prepared(prepared(c, "gp_delivery_outcomes", sql::outcomes), to_pg_array(ids), to_pg_array(attempts),
                          to_pg_array(statuses), to_pg_array(codes), to_pg_array(errors),
                          to_pg_array(retries), to_pg_array(attempted), node,
                          to_pg_array(began), to_pg_array(leases));
  tx.commit();
  return static_cast<int>(r.affected_rows());
}

std::vector<webhook_delivery> list_deliveries(pqxx::connection& c, const delivery_filter& f) {
  pqxx::nontransaction tx{c};
  std::string status = f.status ? std::string{name_of(*f.status)} : std::string{};
  std::vector<webhook_delivery> out;
  for (const auto& r :
       tx.exec_params(sql::list, f.client_id, f.request_id, status, f.after, f.limit))
    out.push_back(delivery_of(r));
  return out;
}

std::optional<webhook_delivery> find_delivery(pqxx::connection& c, const std::string& delivery_id,
                                              const std::string& client_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(sql::find, delivery_id, client_id);
  if (r.empty())
    return std::nullopt;
  return delivery_of(r[0]);
}

redelivery redeliver(pqxx::connection& c, const std::string& delivery_id,
                     const audit_context& by) {
  pqxx::work tx{c};
  auto before = tx.exec_params(sql::snapshot, delivery_id);
  if (!tx.exec_params(sql::redeliver, delivery_id).empty()) {
    write_audit(tx, by, "delivery.redeliver", "delivery:" + delivery_id,
                before[0][0].as<std::string>(),
                tx.exec_params1(sql::snapshot, delivery_id)[0].as<std::string>());
    tx.commit();
    return redelivery::queued;
  }
  return before.empty() ? redelivery::missing : redelivery::in_flight;
}

std::string insert_ping(pqxx::connection& c, const std::string& client_id, const std::string& url,
                        const std::string& payload_json) {
  pqxx::nontransaction tx{c};
  return tx.exec_params1(sql::ping, client_id, url, payload_json)[0].as<std::string>();
}

}  // namespace gp::persistence
