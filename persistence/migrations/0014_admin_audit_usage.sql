-- Multi-client administration (docs/admin.md): rate limits by route class, key rotation, an
-- audit trail of every admin change, and usage by client and hour.

-- Calls a minute per node for the read (status, listings, STAC, features, downloads) and tiles
-- classes; NULL: the service's default ([limits] read_per_minute, tiles_per_minute). The
-- submit class keeps rate_limit_per_minute.
ALTER TABLE platform.clients
  ADD COLUMN read_rate_limit_per_minute integer CHECK (read_rate_limit_per_minute > 0),
  ADD COLUMN tiles_rate_limit_per_minute integer CHECK (tiles_rate_limit_per_minute > 0);

-- A rotated key names its successor; it keeps working until its expires_at, which the rotation
-- brought forward to the end of the overlap.
ALTER TABLE platform.api_keys
  ADD COLUMN rotated_to char(8) REFERENCES platform.api_keys(key_id) ON DELETE SET NULL,
  ADD COLUMN rotated_at timestamptz;

-- One row per admin change, over HTTP or the command line. `actor` is "key:<key_id>" or "cli";
-- `target` is "client:<client_id>", "key:<key_id>" or "delivery:<delivery_id>". before and
-- after never hold a secret or a key hash.
CREATE TABLE platform.audit_log (
  audit_id       bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  actor          text NOT NULL,
  action         text NOT NULL,
  target         text NOT NULL,
  before         jsonb,
  after          jsonb,
  correlation_id text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_target_idx ON platform.audit_log (target, audit_id DESC);

-- Usage by client and hour (UTC), added to by every node's flush and by the writes of requests'
-- terminal states.
CREATE TABLE platform.usage_hourly (
  client_id          text NOT NULL REFERENCES platform.clients(client_id) ON DELETE CASCADE,
  -- The start of the hour in UTC.
  hour               timestamptz NOT NULL,
  submits_new        bigint NOT NULL DEFAULT 0,
  submits_repeat     bigint NOT NULL DEFAULT 0,
  submits_refused    bigint NOT NULL DEFAULT 0,
  requests_completed bigint NOT NULL DEFAULT 0,
  requests_failed    bigint NOT NULL DEFAULT 0,
  bytes_read         bigint NOT NULL DEFAULT 0,
  bytes_written      bigint NOT NULL DEFAULT 0,
  stac_searches      bigint NOT NULL DEFAULT 0,
  downloads          bigint NOT NULL DEFAULT 0,
  bytes_served       bigint NOT NULL DEFAULT 0,
  tiles              bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (client_id, hour)
);
