-- Request and job ids are hex strings: they compare byte by byte (COLLATE "C") whatever the
-- database's collation, which makes their B-tree look-ups cheaper than locale-aware comparison
-- (a database created with C.UTF-8 or en_US.UTF-8 otherwise compares them through strcoll). Every
-- column holding one of these ids gets the same collation, so comparisons between them never mix
-- collations.
ALTER TABLE platform.requests
  ALTER COLUMN request_id TYPE char(32) COLLATE "C",
  ALTER COLUMN reused_from TYPE char(32) COLLATE "C";
ALTER TABLE app.jobs
  ALTER COLUMN job_id TYPE char(64) COLLATE "C",
  ALTER COLUMN platform_request_id TYPE char(32) COLLATE "C";
ALTER TABLE app.tasks ALTER COLUMN job_id TYPE char(64) COLLATE "C";
ALTER TABLE platform.vector_layers ALTER COLUMN request_id TYPE char(32) COLLATE "C";

-- The same rules as the regular expressions they replace (exactly 32 or 64 lower-case hex
-- digits), checked without the regular expression engine, which cost about 7 % of a group
-- insert of new requests.
ALTER TABLE platform.requests DROP CONSTRAINT requests_request_id_check,
  ADD CONSTRAINT requests_request_id_check
    CHECK (length(request_id) = 32 AND ltrim(request_id, '0123456789abcdef') = '');
ALTER TABLE app.jobs DROP CONSTRAINT jobs_job_id_check,
  ADD CONSTRAINT jobs_job_id_check
    CHECK (length(job_id) = 64 AND ltrim(job_id, '0123456789abcdef') = '');
