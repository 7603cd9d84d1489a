-- ANALYZE skips the columns whose statistics no plan needs: the JSON payloads and free text
-- (two payloads are compared in the reuse lookup, but only among the few rows its index finds)
-- and the jobs' primary key (the planner knows it is unique from its index; the requests' key
-- keeps its statistics, as resuming pages through it by range). Computing them was most of an
-- ANALYZE of these tables: with about 90 000 rows, ANALYZE of platform.requests took 275 to 290
-- ms and of app.jobs 300 to 325 ms, and about 125 ms each without them. Autovacuum analyzes
-- both tables every tenth of growth; while it ran it took most of a core from the service (on
-- two cores, the slowest second of a new-submit benchmark run). Statistics gathered before this
-- migration stay as they were (PostgreSQL keeps them; ANALYZE no longer renews them).
ALTER TABLE platform.requests
  ALTER COLUMN source_path SET STATISTICS 0,
  ALTER COLUMN processing_config SET STATISTICS 0,
  ALTER COLUMN callback_url SET STATISTICS 0,
  ALTER COLUMN client_request_id SET STATISTICS 0,
  ALTER COLUMN message SET STATISTICS 0,
  ALTER COLUMN endpoints SET STATISTICS 0,
  ALTER COLUMN stac_metadata SET STATISTICS 0,
  ALTER COLUMN error_message SET STATISTICS 0,
  ALTER COLUMN snapshot SET STATISTICS 0,
  ALTER COLUMN outputs SET STATISTICS 0;
ALTER TABLE app.jobs
  ALTER COLUMN job_id SET STATISTICS 0,
  ALTER COLUMN parameters SET STATISTICS 0,
  ALTER COLUMN stage_results SET STATISTICS 0,
  ALTER COLUMN result SET STATISTICS 0,
  ALTER COLUMN error SET STATISTICS 0;
