-- One row per platform request (a client's dataset version to publish). The row is the truth;
-- the request actor snapshots its state into it, fenced by state_version.
CREATE TABLE platform.requests (
  request_id        char(32) PRIMARY KEY CHECK (request_id ~ '^[0-9a-f]{32}$'),
  client_id         text NOT NULL REFERENCES platform.clients(client_id),
  dataset_id        text NOT NULL,
  resource_id       text NOT NULL,
  version_id        text NOT NULL,
  request_type      text NOT NULL CHECK (request_type IN ('vector', 'raster', 'collection')),
  source_path       text NOT NULL,
  processing_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  callback_url      text,
  client_request_id text,
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  progress_percent  smallint NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
  message           text,
  endpoints         jsonb,
  stac_metadata     jsonb,
  error_code        text,
  error_message     text,
  error_retryable   boolean,
  owner_node        text,
  lease_until       timestamptz,
  state_version     bigint NOT NULL DEFAULT 0,
  snapshot          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  completed_at      timestamptz,
  CONSTRAINT requests_identity_key UNIQUE (client_id, dataset_id, resource_id, version_id)
);
CREATE INDEX requests_client_created_idx ON platform.requests (client_id, created_at DESC, request_id);
CREATE INDEX requests_live_idx ON platform.requests (status)
  WHERE status IN ('pending', 'processing');
CREATE INDEX requests_owner_lease_idx ON platform.requests (owner_node, lease_until)
  WHERE status IN ('pending', 'processing');
