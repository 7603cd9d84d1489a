#!/usr/bin/python3
"""Validates the STAC documents the platform builds against the official schemas, offline.

Runs the unit tests of io/stac (tests/unit/stac_items_test.cpp) with GP_STAC_SAMPLES_DIR set, so
they write the Items and Collections they build, then validates each against the STAC 1.0.0
Item or Collection schema and the schema of every extension it declares (tests/schemas, mapped
from their public URLs: no network). A deliberately broken item must fail, so the validation
itself is shown to work.

Usage: validate_samples.py PATH_TO_gp_unit_tests"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import jsonschema  # noqa: E402  (Debian's python3-jsonschema)

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schemas")
ITEM = "https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/item.json"
COLLECTION = "https://schemas.stacspec.org/v1.0.0/collection-spec/json-schema/collection.json"
CATALOG = "https://schemas.stacspec.org/v1.0.0/catalog-spec/json-schema/catalog.json"
FEATURE_COLLECTION = "https://geojson.org/schema/FeatureCollection.json"
EXPECTED = {"vector_item", "vector_item_range", "raster_item", "raster_item_wkt2",
            "antimeridian_item", "collection", "collection_empty"}


def load_store():
    store = {"http://json-schema.org/draft-07/schema": jsonschema.Draft7Validator.META_SCHEMA}
    for path in glob.glob(os.path.join(SCHEMAS, "**", "*.json"), recursive=True):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if "$id" in doc:
            store[doc["$id"].rstrip("#")] = doc
    return store


def errors_of(doc, store):
    """The schema errors of a STAC Item, Collection or Catalog, or of an ItemCollection (a
    GeoJSON FeatureCollection whose features are each an Item)."""
    if doc.get("type") == "FeatureCollection":
        out = validate(doc, FEATURE_COLLECTION, store)
        for i, feature in enumerate(doc.get("features", [])):
            out += ["features/%d: %s" % (i, e) for e in errors_of(feature, store)]
        return out
    main = {"Feature": ITEM, "Catalog": CATALOG}.get(doc.get("type"), COLLECTION)
    out = []
    for url in [main] + doc.get("stac_extensions", []):
        out += validate(doc, url, store)
    return out


def validate(doc, url, store):
    out = []
    schema = store.get(url)
    if schema is None:
        return ["no local copy of the schema %s" % url]
    resolver = jsonschema.RefResolver(base_uri=url, referrer=schema, store=store)
    validator = jsonschema.Draft7Validator(schema, resolver=resolver)
    for e in validator.iter_errors(doc):
        out.append("%s: %s at %s" % (url.rsplit("/", 3)[-3], e.message,
                                     "/".join(str(p) for p in e.absolute_path)))
    return out


def main(binary):
    store = load_store()
    with tempfile.TemporaryDirectory(prefix="gp_stac_") as tmp:
        env = dict(os.environ, GP_STAC_SAMPLES_DIR=tmp)
        run = subprocess.run([binary, "--gtest_filter=stac_items.*"], env=env,
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout[-4000:], run.stderr[-2000:])
            print("FAILED: the stac_items unit tests failed")
            return 1
        docs = {}
        for path in sorted(glob.glob(os.path.join(tmp, "*.json"))):
            with open(path, encoding="utf-8") as f:
                docs[os.path.basename(path)[:-5]] = json.load(f)
    problems = []
    missing = EXPECTED - set(docs)
    if missing:
        problems.append("samples not written: %s" % ", ".join(sorted(missing)))
    for name, doc in sorted(docs.items()):
        errs = errors_of(doc, store)
        print("%-20s %s" % (name, "valid" if not errs else "INVALID"))
        problems += ["%s: %s" % (name, e) for e in errs]
    # The validation must be able to fail: an item without a time, and a band of an unknown type.
    if "raster_item" in docs:
        broken = copy.deepcopy(docs["raster_item"])
        del broken["properties"]["datetime"]
        broken["assets"]["data"]["raster:bands"][0]["data_type"] = "uint9"
        errs = errors_of(broken, store)
        if len(errs) < 2:
            problems.append("a broken item passed the validation: %s" % errs)
    for p in problems:
        print("FAILED:", p)
    print("%d documents validated, %d problem(s)" % (len(docs), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
