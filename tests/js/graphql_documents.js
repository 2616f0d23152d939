// Prints, as one JSON object, the GraphQL documents two real Authing SDKs send, exactly as their
// packages ship them: {"<sdk>": {"<Name>Document": "<query text>", ...}, ...}.
// - authing-js-sdk 4.23.55 (pinned in package.json), and
// - authing-js-sdk 4.15.8, the copy authing-wxapp-sdk depends on and sends its GraphQL calls with.
// tests/e2e/test_graphql_sdk_documents.py validates them against the mock's schema.
"use strict";

const path = require("path");

const DOCUMENTS = path.join("build", "main", "types", "graphql.v2.js");

function documentsOf(packageDir) {
  const version = require(path.join(packageDir, "package.json")).version;
  const exported = require(path.join(packageDir, DOCUMENTS));
  const documents = {};
  for (const [name, value] of Object.entries(exported)) {
    if (name.endsWith("Document") && typeof value === "string") documents[name] = value;
  }
  return { version, documents };
}

const jsSdk = path.dirname(require.resolve("authing-js-sdk/package.json"));
const wxappSdk = path.dirname(require.resolve("authing-wxapp-sdk/package.json"));
const wxappJsSdk = path.dirname(require.resolve("authing-js-sdk/package.json", { paths: [wxappSdk] }));

process.stdout.write(JSON.stringify({
  "authing-js-sdk": documentsOf(jsSdk),
  "authing-wxapp-sdk": documentsOf(wxappJsSdk),
}));
