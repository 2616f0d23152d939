// The wx shim's getUserCryptoManager().getLatestUserKey(), with callbacks as in a mini program;
// prints what the success callback received as JSON.
//   node wx_crypto_check.js '{"server": "...", "wxAppid": "wx...", "user": "alias"}'
"use strict";
const path = require("path");

const { createWx } = require(path.join(__dirname, "..", "..", "mockserver", "static", "wx.js"));

const cfg = JSON.parse(process.argv[2]);
const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
wx.getUserCryptoManager().getLatestUserKey({
  success: (res) => process.stdout.write(JSON.stringify(res)),
  fail: (res) => {
    process.stderr.write(JSON.stringify(res));
    process.exitCode = 1;
  },
});
