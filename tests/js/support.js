// What the Node harnesses share: loading the wx shim the way a user would (from the running
// server's /__mock__/wx.js), and reading what the authing-wxapp-sdk threw.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

async function loadServedShim(server) {
  const res = await fetch(server + "/__mock__/wx.js");
  if (res.status !== 200) throw new Error("GET /__mock__/wx.js answered " + res.status);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mockserver-wx-")), "wx.js");
  fs.writeFileSync(file, await res.text());
  return require(file);
}

// The SDK's REST client throws Error(JSON.stringify({code, message, data})); its GraphQL client
// throws the plain {code, message, data} object; transport failures are other Errors.
function thrown(err) {
  if (err instanceof Error) {
    try {
      return JSON.parse(err.message);
    } catch (e) {
      return { error: err.message };
    }
  }
  return err;
}

module.exports = { loadServedShim, thrown };
