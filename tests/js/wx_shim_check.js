// Exercises the wx shim's own APIs against a running mockserver; prints "ok" or throws.
//   node wx_shim_check.js '{"server": "...", "wxAppid": "wx...", "user": "alias"}'
"use strict";
const assert = require("assert");
const path = require("path");

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const { createWx } = require(path.join(__dirname, "..", "..", "mockserver", "static", "wx.js"));
  const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });

  // Storage: "" for a missing key, copies on read, async variants with errMsg.
  assert.strictEqual(wx.getStorageSync("missing"), "");
  const value = { a: [1, 2] };
  wx.setStorageSync("k", value);
  value.a.push(3);
  assert.deepStrictEqual(wx.getStorageSync("k"), { a: [1, 2] });
  assert.deepStrictEqual(await wx.getStorage({ key: "k" }), { data: { a: [1, 2] }, errMsg: "getStorage:ok" });
  await assert.rejects(wx.getStorage({ key: "nope" }), { errMsg: "getStorage:fail data not found" });
  assert.deepStrictEqual((await wx.getStorageInfo()).keys, ["k"]);
  await new Promise((resolve) => wx.removeStorage({ key: "k", complete: resolve }));
  assert.deepStrictEqual(wx.getStorageInfoSync().keys, []);

  // wx.login / getUserProfile: the mock's WeChat, the same user.
  const login = await wx.login();
  assert.strictEqual(login.errMsg, "login:ok");
  assert.match(login.code, /^[A-Za-z0-9]{32}$/);
  const profile = await wx.getUserProfile({ desc: "test" });
  assert.strictEqual(profile.errMsg, "getUserProfile:ok");
  assert.strictEqual(profile.userInfo.nickName, JSON.parse(profile.rawData).nickName);

  // wx.request: a task back, success for any HTTP status, JSON parsed, errMsg request:ok.
  const answer = await new Promise((resolve, reject) => {
    const task = wx.request({
      url: cfg.server + "/sns/jscode2session", data: { appid: cfg.wxAppid, js_code: "x" },
      success: resolve, fail: reject,
    });
    assert.strictEqual(typeof task.abort, "function");
  });
  assert.strictEqual(answer.errMsg, "request:ok");
  assert.strictEqual(answer.statusCode, 200);
  assert.strictEqual(answer.data.errcode, 41004); // appsecret missing: the query string was sent
  const failed = await new Promise((resolve) => wx.request({ url: "http://127.0.0.1:1/", fail: resolve }));
  assert.match(failed.errMsg, /^request:fail /);
  process.stdout.write("ok");
}

main().catch((err) => {
  process.stderr.write((err && err.stack) || JSON.stringify(err));
  process.exit(1);
});
