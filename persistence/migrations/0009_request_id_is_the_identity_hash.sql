-- A request's id is the first 32 hex digits of SHA-256 over client_id|dataset_id|resource_id|
-- version_id (API.md). The check below holds every row to that rule, so the primary key alone
-- keeps one row per identity: the same identity always gives the same id. The unique index on
-- the identity it replaces was a second unique index on four text columns, checked by every
-- ON CONFLICT insert; it cost about 12 % of the database's CPU per new request. Adding the check
-- reads every existing row once (one SHA-256 each). Rows the service wrote always pass; a row
-- written by hand with another id stops the migration with a message saying how many there are.
DO $$
DECLARE
  bad bigint;
BEGIN
  SELECT count(*) INTO bad FROM platform.requests
  WHERE request_id <> left(encode(sha256(convert_to(client_id || '|' || dataset_id || '|'
                                                    || resource_id || '|' || version_id,
                                                    'UTF8')), 'hex'), 32);
  IF bad > 0 THEN
    RAISE EXCEPTION '% request rows have an id that is not the SHA-256 of their identity (rows written outside the service); correct or delete them, then migrate again', bad;
  END IF;
END $$;

-- STABLE, not IMMUTABLE: convert_to depends on the database's encoding.
CREATE FUNCTION platform.request_id_for(client_id text, dataset_id text, resource_id text,
                                        version_id text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  RETURN left(encode(sha256(convert_to(client_id || '|' || dataset_id || '|' || resource_id || '|'
                                       || version_id, 'UTF8')), 'hex'), 32);
COMMENT ON FUNCTION platform.request_id_for(text, text, text, text) IS
  'The request id of an identity, as the service computes it (for look-ups by identity)';

-- The check spells the expression out: a function call in a check would be inlined again for
-- every statement.
ALTER TABLE platform.requests DROP CONSTRAINT requests_request_id_check,
  ADD CONSTRAINT requests_request_id_check
    CHECK (request_id = left(encode(sha256(convert_to(client_id || '|' || dataset_id || '|'
                                                      || resource_id || '|' || version_id,
                                                      'UTF8')), 'hex'), 32));
ALTER TABLE platform.requests DROP CONSTRAINT requests_identity_key;
