-- Webhook deliveries in two tables (docs/webhooks.md, "The outbox"): the event, written once
-- (webhook_deliveries: its id, request, client, url, event and payload), and where its delivery
-- stands (webhook_delivery_state), written again at every claim and every outcome.
--
-- In one table each claim and each outcome copied the whole row, payload included, and wrote
-- every index of it again (the status is in the partial indexes' predicates, so no update was
-- HOT): eight index entries and two copies of a 1-2 KB row per delivery. Here a claim or an
-- outcome copies a row of about 150 bytes and writes two index entries.
--
-- The payload is kept as the text it was written as (json, not jsonb): every claim reads it
-- back as text, which a jsonb would be converted to each time.

CREATE TABLE platform.webhook_delivery_state (
  delivery_id      text COLLATE "C" PRIMARY KEY
                   REFERENCES platform.webhook_deliveries(delivery_id) ON DELETE CASCADE,
  -- The event's client and host, copied (they never change): claims choose by host and by
  -- client, and the health page finds a client's last delivery, without reading the events.
  client_id        text NOT NULL,
  host             text NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'delivering', 'delivered', 'failed', 'dead')),
  -- Attempts since it was created or last redelivered (a claim is an attempt).
  attempts         integer NOT NULL DEFAULT 0,
  -- Pending: when it is due. Delivering: when its claim's lease ends; a claim whose node died is
  -- due again then, found by the same index as the pending ones.
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- When its retries began: it is dead only once the schedule is used up and the retry window
  -- has passed since then.
  retry_since      timestamptz NOT NULL DEFAULT now(),
  claimed_by       text,
  last_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  delivered_at     timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

INSERT INTO platform.webhook_delivery_state
  (delivery_id, client_id, host, status, attempts, next_attempt_at, retry_since, claimed_by,
   last_attempt_at, last_status_code, last_error, delivered_at, updated_at)
SELECT delivery_id, client_id, host, status, attempts,
       CASE WHEN status = 'delivering' THEN coalesce(lease_until, now()) ELSE next_attempt_at END,
       retry_since, claimed_by, last_attempt_at, last_status_code, last_error, delivered_at,
       updated_at
FROM platform.webhook_deliveries;

-- Due deliveries and lapsed claims, oldest first (the dispatcher's claim).
CREATE INDEX webhook_delivery_state_due_idx ON platform.webhook_delivery_state (next_attempt_at)
  WHERE status IN ('pending', 'delivering');
-- A client's latest successful delivery (GET /platform/health), at the end of this index.
CREATE INDEX webhook_delivery_state_delivered_idx
  ON platform.webhook_delivery_state (client_id, delivered_at) WHERE status = 'delivered';

DROP INDEX platform.webhook_deliveries_due_idx;
DROP INDEX platform.webhook_deliveries_lease_idx;
DROP INDEX platform.webhook_deliveries_delivered_idx;
ALTER TABLE platform.webhook_deliveries
  DROP COLUMN status, DROP COLUMN attempts, DROP COLUMN next_attempt_at,
  DROP COLUMN retry_since, DROP COLUMN claimed_by, DROP COLUMN lease_until,
  DROP COLUMN last_attempt_at, DROP COLUMN last_status_code, DROP COLUMN last_error,
  DROP COLUMN delivered_at, DROP COLUMN updated_at;
ALTER TABLE platform.webhook_deliveries ALTER COLUMN payload TYPE json USING payload::json;
