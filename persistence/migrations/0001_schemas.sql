-- The four schemas of geoplatform. PostGIS is a prerequisite created by a superuser
-- (it is not a trusted extension); the migrator checks for it before running this file.
CREATE SCHEMA IF NOT EXISTS platform;
CREATE SCHEMA IF NOT EXISTS app;
CREATE SCHEMA IF NOT EXISTS stac;
CREATE SCHEMA IF NOT EXISTS geo;
