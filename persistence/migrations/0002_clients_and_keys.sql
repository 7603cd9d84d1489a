-- Clients of the platform and their API keys (see API.md "Authentication").
CREATE TABLE platform.clients (
  client_id             text PRIMARY KEY CHECK (client_id ~ '^[a-z0-9][a-z0-9_-]{1,49}$'),
  name                  text NOT NULL,
  webhook_secret        text NOT NULL,
  rate_limit_per_minute integer NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute > 0),
  callback_hosts        text[] NOT NULL DEFAULT '{}',
  is_active             boolean NOT NULL DEFAULT true,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of the whole key is stored; key_id is the key's public 8-character id.
CREATE TABLE platform.api_keys (
  key_id            char(8) PRIMARY KEY CHECK (key_id ~ '^[a-z0-9]{8}$'),
  client_id         text NOT NULL REFERENCES platform.clients(client_id) ON DELETE CASCADE,
  key_hash          char(64) NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  access_level      text NOT NULL CHECK (access_level IN ('internal', 'trusted', 'admin')),
  allowed_endpoints text[],
  description       text NOT NULL DEFAULT '',
  expires_at        timestamptz,
  revoked_at        timestamptz,
  last_used_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_client_idx ON platform.api_keys (client_id);
