-- The STAC catalogue: what completed requests published, as STAC 1.0.0 collections and items
-- (docs/stac.md). Items are written in the transaction that stores their request's completed
-- state; a request's items are replaced when it completes again.

-- btree_gist is a trusted extension: the database's owner may create it (scripts/run and
-- scripts/test create it as the superuser beforehand).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- One row per collection: <client>_vectors, <client>_rasters and one per collection request.
-- Its extents are kept current by every write of its items.
CREATE TABLE platform.stac_collections (
  collection_id  text COLLATE "C" PRIMARY KEY,
  client_id      text NOT NULL,
  -- The collection request it belongs to; null for a client's vectors and rasters collections.
  request_id     char(32) COLLATE "C",
  title          text NOT NULL,
  description    text NOT NULL,
  -- [west, south, east, north] of its items' geometries; null while it has none.
  bbox           double precision[],
  start_datetime timestamptz,
  end_datetime   timestamptz,
  item_count     bigint NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stac_collections_client_idx ON platform.stac_collections (client_id, collection_id);

-- One row per item. A search's default order is datetime descending, then collection and id
-- (the keyset of its paging). Ids compare byte by byte, as every id of the schema does.
CREATE TABLE platform.stac_items (
  collection_id  text COLLATE "C" NOT NULL
                 REFERENCES platform.stac_collections ON DELETE CASCADE,
  item_id        text COLLATE "C" NOT NULL,
  request_id     char(32) COLLATE "C" NOT NULL,
  -- Which item of its request: '' for a vector or raster request, the COG's name for one of a
  -- collection request's items.
  item_key       text NOT NULL DEFAULT '',
  client_id      text NOT NULL,
  dataset_id     text NOT NULL,
  resource_id    text NOT NULL,
  version_id     text NOT NULL,
  geometry       geometry(Geometry, 4326) NOT NULL,
  -- As the item says: west > east across the antimeridian.
  bbox           double precision[] NOT NULL,
  -- The item's time: its datetime (both equal), or its start_datetime and end_datetime.
  datetime       timestamptz NOT NULL,
  end_datetime   timestamptz NOT NULL,
  feature_count  bigint,
  epsg           integer,
  -- The item as served.
  content        text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collection_id, item_id),
  UNIQUE (request_id, item_key),
  CHECK (end_datetime >= datetime)
);
-- Place and time in one GIST index (btree_gist): a bbox with a datetime interval reads only the
-- items matching both; with place alone it serves as the geometry index.
CREATE INDEX stac_items_geometry_time_idx ON platform.stac_items
  USING gist (geometry, datetime, end_datetime);
CREATE INDEX stac_items_datetime_idx ON platform.stac_items (datetime DESC, collection_id, item_id);
CREATE INDEX stac_items_id_idx ON platform.stac_items (item_id);
CREATE INDEX stac_items_identity_idx ON platform.stac_items (dataset_id, resource_id, version_id);
CREATE INDEX stac_items_client_idx ON platform.stac_items (client_id, datetime DESC);

-- Advanced by every catalogue write, as the last statement of its transaction: a node whose
-- answer cache was filled under another number empties it. A row (not a sequence, whose values
-- are taken before the commit) so a reader sees the new number only with the write's rows.
CREATE TABLE platform.stac_catalogue_state (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version  bigint NOT NULL
);
INSERT INTO platform.stac_catalogue_state (version) VALUES (0);
