-- Each request's history (GET /platform/status/{id}?detail=full): one row per change of its
-- status, written by the database itself in the transaction that changes it, whichever writer
-- that is (its actor, a cancel, a retry, a supervisor giving up). The submission is the row's
-- created_at and is not repeated here. At most 100 rows a request: the oldest go first.
CREATE TABLE platform.request_events (
  event_id      bigserial PRIMARY KEY,
  request_id    char(32) COLLATE "C" NOT NULL
                REFERENCES platform.requests (request_id) ON DELETE CASCADE,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  from_status   text NOT NULL,
  to_status     text NOT NULL,
  reason        text NOT NULL DEFAULT '',
  state_version bigint NOT NULL
);

CREATE INDEX request_events_request_idx ON platform.request_events (request_id, event_id);

CREATE FUNCTION platform.note_request_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO platform.request_events (request_id, from_status, to_status, reason, state_version)
  VALUES (NEW.request_id, OLD.status, NEW.status,
          CASE WHEN NEW.status = 'failed' AND coalesce(NEW.error_code, '') <> '' THEN NEW.error_code
               ELSE coalesce(NEW.message, '') END,
          NEW.state_version);
  DELETE FROM platform.request_events
   WHERE event_id IN (SELECT event_id FROM platform.request_events
                       WHERE request_id = NEW.request_id
                       ORDER BY event_id DESC OFFSET 100);
  RETURN NULL;
END
$$;

CREATE TRIGGER requests_status_events
  AFTER UPDATE OF status ON platform.requests
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION platform.note_request_event();
