-- Outputs of the geodata jobs.
--
-- platform.requests.outputs: what a completed request serves, written with its completion:
--   {"dir": "<absolute output folder>",          -- where its files are
--    "download": "<file name in dir>",           -- vector: the GeoPackage, raster: the COG
--    "files": ["<file name>", ...],              -- collection: its COGs
--    "collection": "<features collection id>",   -- vector: its geo table (platform.vector_layers)
--    "mosaic": true}                              -- collection: mosaic.json is served
-- A request that reused another's outputs (reused_from) carries that request's outputs.
-- source_sha256: the content hash of the source (a folder: of its matching files' names and
-- hashes), recorded by the request's first job; with the type and processing_config it is the
-- key of incremental reuse.
ALTER TABLE platform.requests
  ADD COLUMN outputs jsonb,
  ADD COLUMN source_sha256 text,
  ADD COLUMN reused_from char(32);
CREATE INDEX requests_reuse_idx ON platform.requests (client_id, dataset_id, resource_id, source_sha256)
  WHERE status = 'completed' AND source_sha256 IS NOT NULL;

-- One row per loaded vector table geo.<table_name> (the features collections).
CREATE TABLE platform.vector_layers (
  table_name    text PRIMARY KEY CHECK (table_name ~ '^[a-z_][a-z0-9_]{0,62}$'),
  request_id    char(32) NOT NULL,
  client_id     text NOT NULL,
  title         text NOT NULL,
  feature_count bigint NOT NULL,
  geometry_type text NOT NULL,
  -- [minx, miny, maxx, maxy] in EPSG:4326; null for an empty layer.
  bbox          double precision[],
  source_crs    text,
  -- [{"name": …, "type": …, "source_name": …}] in table order (without fid and geom).
  columns       jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vector_layers_request_idx ON platform.vector_layers (request_id);
