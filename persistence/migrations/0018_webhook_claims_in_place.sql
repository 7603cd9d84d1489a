-- A claim rewrites a delivery's state row in place (docs/webhooks.md, "The outbox").
--
-- A claim set the status to 'delivering' and next_attempt_at to its lease's end. Both were
-- indexed (the status in the predicates of both partial indexes), so no claim was a HOT update:
-- each wrote a new entry into the primary key and the due index, and left a dead one at the
-- head of the due index for the next claims to step over. Now:
--   - the lease's end has a column of its own, lease_until, and a claim leaves next_attempt_at
--     as it was (the time the delivery became due);
--   - next_attempt_at is NULL once nothing more is due (delivered, failed, dead), and the due
--     index holds the rows where it is set;
--   - the delivered index holds the rows with a delivered_at.
-- No index reads the status any more, and a claim changes no indexed column: with room left on
-- the page, PostgreSQL rewrites the row in place and touches no index. Only an outcome, which
-- ends a delivery or schedules a retry, moves it in an index. The room is half of each page
-- (fillfactor 50): a claim takes a hundred rows or so at once, all of them on the same few
-- pages, and each needs space for its new version beside the old one. With a quarter, a third
-- of the claims were rewritten in place; with half, nearly all (10,000-40,000 delivery runs of
-- bench/webhooks.sh: a claim's WAL fell from 45 to 25 KB).
--
-- A row claimed and not yet answered stays at its place in the due index; claims pass over the
-- rows whose lease has not ended (as many as the nodes hold), and a claim whose node died is due
-- again when its lease ends.

ALTER TABLE platform.webhook_delivery_state ADD COLUMN lease_until timestamptz;
ALTER TABLE platform.webhook_delivery_state ALTER COLUMN next_attempt_at DROP NOT NULL;

-- Claims in flight keep their lease: next_attempt_at held its end.
UPDATE platform.webhook_delivery_state SET lease_until = next_attempt_at
WHERE status = 'delivering';
UPDATE platform.webhook_delivery_state SET next_attempt_at = NULL
WHERE status IN ('delivered', 'failed', 'dead');

ALTER TABLE platform.webhook_delivery_state
  ADD CONSTRAINT webhook_delivery_state_due_check
    CHECK ((next_attempt_at IS NULL) = (status IN ('delivered', 'failed', 'dead'))),
  ADD CONSTRAINT webhook_delivery_state_lease_check
    CHECK (lease_until IS NULL OR status = 'delivering');
ALTER TABLE platform.webhook_delivery_state SET (fillfactor = 50);

-- Deliveries that may be due, oldest first (the dispatcher's claim reads it in order).
DROP INDEX platform.webhook_delivery_state_due_idx;
CREATE INDEX webhook_delivery_state_due_idx ON platform.webhook_delivery_state (next_attempt_at)
  WHERE next_attempt_at IS NOT NULL;
-- A client's latest successful delivery (GET /platform/health), at the end of this index; one
-- redelivered since still counts from when it was delivered.
DROP INDEX platform.webhook_delivery_state_delivered_idx;
CREATE INDEX webhook_delivery_state_delivered_idx
  ON platform.webhook_delivery_state (client_id, delivered_at) WHERE delivered_at IS NOT NULL;
