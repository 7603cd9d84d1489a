-- Webhooks (docs/webhooks.md): an outbox of deliveries, written in the transaction that stores a
-- request's terminal state, and the previous webhook secret of a client during a rotation.

-- One row per event to deliver: a request's end (completed, failed, cancelled) or a ping asked
-- for by its client. The delivery id is the Standard Webhooks `webhook-id`, the same on every
-- attempt. Status: pending (waiting for its next attempt), delivering (claimed by a node until
-- lease_until), delivered (a 2xx), failed (the receiver answered 410, or a later event of the
-- same request replaced it), dead (attempts exhausted; can be redelivered).
CREATE TABLE platform.webhook_deliveries (
  delivery_id      text COLLATE "C" PRIMARY KEY CHECK (delivery_id ~ '^msg_[0-9a-f]{32}$'),
  request_id       char(32) COLLATE "C" REFERENCES platform.requests(request_id) ON DELETE CASCADE,
  client_id        text NOT NULL REFERENCES platform.clients(client_id) ON DELETE CASCADE,
  url              text NOT NULL,
  -- The URL's authority ("host[:port]", lower case): deliveries to one host share its limit.
  host             text NOT NULL,
  event            text NOT NULL CHECK (event IN ('platform.request.completed',
                                                  'platform.request.failed',
                                                  'platform.request.cancelled',
                                                  'platform.ping')),
  -- The event's document as stored; endpoints are made absolute when it is sent.
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'delivering', 'delivered', 'failed', 'dead')),
  -- Attempts since it was created or last redelivered (a claim is an attempt).
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- When its retries began: it is dead only once the schedule is used up and the retry window
  -- has passed since then.
  retry_since      timestamptz NOT NULL DEFAULT now(),
  claimed_by       text,
  lease_until      timestamptz,
  last_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((request_id IS NULL) = (event = 'platform.ping'))
);
-- Due deliveries, oldest due first (the dispatcher's claim).
CREATE INDEX webhook_deliveries_due_idx ON platform.webhook_deliveries (next_attempt_at)
  WHERE status = 'pending';
-- Claims whose lease ran out (a node that died while delivering).
CREATE INDEX webhook_deliveries_lease_idx ON platform.webhook_deliveries (lease_until)
  WHERE status = 'delivering';
-- A request's deliveries (its callback_status, its listing), and the admin's listing (a client
-- filter reads it too: every index here is written again by each claim and each outcome).
CREATE INDEX webhook_deliveries_request_idx ON platform.webhook_deliveries (request_id, created_at);
CREATE INDEX webhook_deliveries_listing_idx
  ON platform.webhook_deliveries (created_at DESC, delivery_id DESC);
ALTER TABLE platform.webhook_deliveries ALTER COLUMN payload SET STATISTICS 0;

-- During a rotation the previous secret signs too, until previous_secret_expires_at.
ALTER TABLE platform.clients
  ADD COLUMN previous_webhook_secret text,
  ADD COLUMN previous_secret_expires_at timestamptz;
