// Validates an OpenAPI document with @apidevtools/swagger-parser: the OpenAPI 3.0 or 3.1 JSON
// Schema, and every $ref resolved. Nothing is fetched: a reference to another file or a URL is
// an error. Used by tests/e2e/test_openapi.py.
//
//   node tests/tools/validate_openapi.js <document.json>
//
// Prints "valid: <title> <version>" and exits 0, or prints the errors and exits 1; 2 on misuse.
"use strict";

const fs = require("fs");
const SwaggerParser = require("@apidevtools/swagger-parser");

async function main(args) {
  if (args.length !== 1) {
    console.error("usage: node validate_openapi.js <document.json>");
    return 2;
  }
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(args[0], "utf8"));
  } catch (err) {
    console.error(`cannot read ${args[0]}: ${err.message}`);
    return 1;
  }
  try {
    // The parsed object, not the path: the document names no other file, and none is read.
    const api = await SwaggerParser.validate(doc, {
      resolve: { file: false, http: false },
      validate: { schema: true, spec: true },
    });
    console.log(`valid: ${api.info.title} ${api.info.version} (OpenAPI ${api.openapi})`);
    return 0;
  } catch (err) {
    console.error(`invalid: ${err.message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
