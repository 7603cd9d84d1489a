// The geodata bodies of the OpenAPI document: OGC API - Features, STAC API and the GeoJSON they
// carry (io/http/features_codec.cpp, io/stac/api_documents.cpp, io/stac/items.cpp).
#include "actors/openapi_components.hpp"

namespace gp::openapi_parts {

using json = nlohmann::json;
using namespace nlohmann::literals;

json geo_schemas() {
  return R"js({
    "Link": {
      "type": "object", "required": ["rel", "href"],
      "properties": {
        "rel": {"type": "string"}, "href": {"type": "string", "format": "uri"}, "type": {"type": "string"}, "title": {"type": "string"},
        "method": {"type": "string", "enum": ["GET", "POST"], "description": "STAC search links"},
        "body": {"type": "object", "description": "POST search paging: the members to send"},
        "merge": {"type": "boolean"}
      }
    },
    "Links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
    "Conformance": {"type": "object", "required": ["conformsTo"], "properties": {"conformsTo": {"type": "array", "items": {"type": "string", "format": "uri"}}}},
    "Geometry": {
      "type": "object", "required": ["type"], "description": "a GeoJSON geometry (RFC 7946)",
      "properties": {
        "type": {"type": "string", "enum": ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"]},
        "coordinates": {"type": "array"},
        "geometries": {"type": "array", "items": {"$ref": "#/components/schemas/Geometry"}}
      }
    },
    "Feature": {
      "type": "object", "required": ["type", "geometry", "properties"],
      "properties": {
        "type": {"const": "Feature"}, "id": {"type": ["integer", "string"]},
        "geometry": {"oneOf": [{"$ref": "#/components/schemas/Geometry"}, {"type": "null"}]},
        "properties": {"type": ["object", "null"]},
        "links": {"$ref": "#/components/schemas/Links"}
      }
    },
    "FeatureCollection": {
      "type": "object", "required": ["type", "features", "links", "numberMatched", "numberReturned"],
      "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
        "links": {"$ref": "#/components/schemas/Links"},
        "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"}
      }
    },
    "FeaturesLanding": {
      "type": "object", "required": ["title", "description", "links"],
      "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": {"$ref": "#/components/schemas/Links"}}
    },
    "FeaturesCollection": {
      "type": "object", "required": ["id", "title", "description", "itemType", "crs", "storageCrs", "links"],
      "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
        "itemType": {"const": "feature"},
        "crs": {"type": "array", "items": {"type": "string", "format": "uri"}}, "storageCrs": {"type": "string", "format": "uri"},
        "extent": {"type": "object", "description": "absent for an empty layer", "properties": {"spatial": {"type": "object", "properties": {
          "bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}},
          "crs": {"type": "string", "format": "uri"}}}}},
        "links": {"$ref": "#/components/schemas/Links"}
      }
    },
    "FeaturesCollections": {
      "type": "object", "required": ["collections", "links"],
      "properties": {"collections": {"type": "array", "items": {"$ref": "#/components/schemas/FeaturesCollection"}}, "links": {"$ref": "#/components/schemas/Links"}}
    },
    "StacCatalog": {
      "type": "object", "required": ["type", "stac_version", "id", "description", "conformsTo", "links"],
      "properties": {
        "type": {"const": "Catalog"}, "stac_version": {"type": "string"}, "id": {"type": "string"}, "title": {"type": "string"},
        "description": {"type": "string"}, "conformsTo": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "links": {"$ref": "#/components/schemas/Links"}
      }
    },
    "StacCollection": {
      "type": "object", "required": ["type", "stac_version", "id", "description", "license", "extent", "links"],
      "properties": {
        "type": {"const": "Collection"}, "stac_version": {"type": "string"},
        "stac_extensions": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"}, "license": {"type": "string"},
        "extent": {"type": "object", "required": ["spatial", "temporal"], "properties": {
          "spatial": {"type": "object", "properties": {"bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}}},
          "temporal": {"type": "object", "properties": {"interval": {"type": "array", "items": {"type": "array", "items": {"type": ["string", "null"], "format": "date-time"}}}}}}},
        "links": {"$ref": "#/components/schemas/Links"}
      }
    },
    "StacCollections": {
      "type": "object", "required": ["collections", "links"],
      "properties": {"collections": {"type": "array", "items": {"$ref": "#/components/schemas/StacCollection"}}, "links": {"$ref": "#/components/schemas/Links"}}
    },
    "StacItem": {
      "type": "object", "required": ["type", "stac_version", "id", "collection", "geometry", "bbox", "properties", "assets", "links"],
      "description": "a STAC 1.0.0 Item, with the projection (and for rasters the raster) extension",
      "properties": {
        "type": {"const": "Feature"}, "stac_version": {"type": "string"},
        "stac_extensions": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "id": {"type": "string"}, "collection": {"type": "string"},
        "geometry": {"$ref": "#/components/schemas/Geometry"},
        "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        "properties": {"type": "object", "required": ["ddh:dataset_id", "ddh:resource_id", "ddh:version_id", "ddh:request_id", "created"], "properties": {
          "datetime": {"type": ["string", "null"], "format": "date-time"},
          "start_datetime": {"type": "string", "format": "date-time"}, "end_datetime": {"type": "string", "format": "date-time"},
          "created": {"type": "string", "format": "date-time"}, "updated": {"type": "string", "format": "date-time"},
          "ddh:dataset_id": {"type": "string"}, "ddh:resource_id": {"type": "string"}, "ddh:version_id": {"type": "string"}, "ddh:request_id": {"type": "string"},
          "proj:epsg": {"type": ["integer", "null"]}, "proj:wkt2": {"type": "string"},
          "vector:feature_count": {"type": "integer"}, "vector:geometry_types": {"type": "array", "items": {"type": "string"}}}},
        "assets": {"type": "object", "additionalProperties": {"type": "object", "required": ["href"], "properties": {
          "href": {"type": "string", "format": "uri"}, "type": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}}}},
        "links": {"$ref": "#/components/schemas/Links"}
      }
    },
    "ItemCollection": {
      "type": "object", "required": ["type", "features", "links", "numberReturned"],
      "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": {"$ref": "#/components/schemas/StacItem"}},
        "links": {"$ref": "#/components/schemas/Links"},
        "numberReturned": {"type": "integer"},
        "numberMatched": {"type": "integer", "description": "only where it is cheap: a collection's items without other parameters"}
      }
    },
    "Queryables": {
      "type": "object", "required": ["$schema", "$id", "type", "title", "properties"],
      "description": "a JSON Schema (draft 2019-09, named by $schema, identified by $id) of the properties a filter may name",
      "properties": {"type": {"const": "object"}, "title": {"type": "string"}, "properties": {"type": "object"},
                     "additionalProperties": {"type": "boolean"}}
    },
    "SearchBody": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6, "description": "west, south, east, north (degrees); not with intersects"},
        "intersects": {"$ref": "#/components/schemas/Geometry"},
        "datetime": {"type": "string", "description": "an RFC 3339 instant or an interval start/end, open ends .. or empty"},
        "ids": {"type": "array", "items": {"type": "string"}},
        "collections": {"type": "array", "items": {"type": "string"}},
        "limit": {"type": "integer", "minimum": 1, "default": 10, "description": "values above 10000 are lowered to 10000"},
        "sortby": {"type": "array", "items": {"type": "object", "required": ["field", "direction"], "properties": {
          "field": {"type": "string"}, "direction": {"type": "string", "enum": ["asc", "desc"]}}}},
        "filter": {"description": "CQL2 JSON (an object), or CQL2 text with filter-lang cql2-text"},
        "filter-lang": {"type": "string", "enum": ["cql2-json", "cql2-text"], "default": "cql2-json"},
        "filter-crs": {"const": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
        "token": {"type": "string", "description": "the position of a page, from a next or prev link"},
        "fields": {"description": "accepted and ignored: items are served whole"}
      }
    }
  })js"_json;
}

}  // namespace gp::openapi_parts
