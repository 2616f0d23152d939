// Exercises the wx shim's own APIs against a running mockserver; prints "ok" or throws.
//   node wx_shim_check.js CHECK '{"server": "...", "wxAppid": "wx...", "user": "alias", ...}'
// CHECK is one of the functions in CHECKS below (tests/test_authing_wxapp_sdk.py runs each).
"use strict";
const assert = require("assert");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");

const { createWx } = require(path.join(__dirname, "..", "..", "mockserver", "static", "wx.js"));

// A local HTTP server that records what reaches it (method, url, headers) and answers {"ok": true}.
async function recorder() {
  const seen = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers });
      res.setHeader("content-type", "application/json");
      res.end('{"ok": true}');
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: "http://127.0.0.1:" + server.address().port, seen, close: () => server.close() };
}

function tempFile(content) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mockserver-wx-check-")), "a.txt");
  fs.writeFileSync(file, content);
  return file;
}

const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms || 50));

// Calls `start(callbacks)` with recording success/fail/complete callbacks; resolves once complete ran.
function calledBack(start) {
  return new Promise((resolve) => {
    const calls = [];
    start({
      success: (res) => calls.push(["success", res]),
      fail: (res) => calls.push(["fail", res]),
      complete: (res) => {
        calls.push(["complete", res]);
        resolve(calls);
      },
    });
  });
}

async function exchange(cfg, code) {
  const apps = await (await fetch(cfg.server + "/__mock__/apps")).json();
  const app = apps.wechat.find((a) => a.appid === cfg.wxAppid);
  const query = new URLSearchParams({ appid: app.appid, secret: app.secret, js_code: code, grant_type: "authorization_code" });
  return (await fetch(cfg.server + "/sns/jscode2session?" + query)).json();
}

const CHECKS = {
  async basics(cfg) {
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
  },

  // A mock started with --admin-token: the shim's control-plane calls carry it, wx.request and
  // wx.uploadFile never do.
  async adminToken(cfg) {
    const without = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
    await assert.rejects(without.login(), (err) => /^login:fail .*admin token/.test(err.errMsg));

    const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user, adminToken: cfg.adminToken });
    assert.strictEqual((await wx.login()).errMsg, "login:ok");
    assert.strictEqual((await wx.getUserProfile({ desc: "test" })).errMsg, "getUserProfile:ok");
    const phone = await wx.mock.getPhoneNumber();
    assert.strictEqual(phone.errMsg, "getPhoneNumber:ok");
    assert.ok(phone.code && phone.encryptedData && phone.iv);

    // Not on wx.request: the control plane, asked through it, still says 401.
    const asked = await new Promise((resolve, reject) =>
      wx.request({ url: cfg.server + "/__mock__/apps", success: resolve, fail: reject }));
    assert.strictEqual(asked.statusCode, 401);
    // Nor on anything wx.request / wx.uploadFile send elsewhere; the app's own Authorization is kept.
    const rec = await recorder();
    try {
      await new Promise((resolve, reject) => wx.request({ url: rec.url + "/a", success: resolve, fail: reject }));
      await new Promise((resolve, reject) =>
        wx.request({ url: rec.url + "/b", header: { Authorization: "Bearer app" }, success: resolve, fail: reject }));
      await new Promise((resolve, reject) =>
        wx.uploadFile({ url: rec.url + "/c", filePath: tempFile("x"), name: "file", success: resolve, fail: reject }));
    } finally {
      rec.close();
    }
    assert.deepStrictEqual(rec.seen.map((r) => [r.url, r.headers.authorization]),
      [["/a", undefined], ["/b", "Bearer app"], ["/c", undefined]]);
    for (const r of rec.seen) assert.ok(!JSON.stringify(r.headers).includes(cfg.adminToken));
  },

  // createWx without `user`: the first wx.login makes a new WeChat user, and that wx object stays it.
  async noUser(cfg) {
    const wx = createWx({ server: cfg.server, appid: cfg.wxAppid });
    assert.strictEqual(wx.mock.user, null);
    const [first, second] = await Promise.all([wx.login(), wx.login()]);
    const openid = (await exchange(cfg, first.code)).openid;
    assert.ok(openid);
    assert.strictEqual(wx.mock.user, openid);
    assert.strictEqual((await exchange(cfg, second.code)).openid, openid);
    assert.strictEqual((await exchange(cfg, (await wx.login()).code)).openid, openid);

    // getUserProfile is that user's profile.
    const profile = await wx.getUserProfile({ desc: "test" });
    const user = await (await fetch(cfg.server + "/__mock__/users/" + openid)).json();
    assert.strictEqual(profile.userInfo.nickName, user.nickname);
    assert.ok(!cfg.fixtureAliases.includes(user.alias), "a new user, not a fixture one");

    // Another wx object (another phone) is another user.
    const other = createWx({ server: cfg.server, appid: cfg.wxAppid });
    const otherOpenid = (await exchange(cfg, (await other.login()).code)).openid;
    assert.ok(otherOpenid && otherOpenid !== openid);
    assert.strictEqual(other.mock.user, otherOpenid);

    // A profile asked before any wx.login: a new user too, and the later login is that user.
    const userCount = async () => (await (await fetch(cfg.server + "/__mock__/users")).json()).users.length;
    const before = await userCount();
    const third = createWx({ server: cfg.server, appid: cfg.wxAppid });
    const [early] = await Promise.all([third.getUserProfile({ desc: "test" }), third.getUserProfile({ desc: "test" })]);
    assert.strictEqual(early.errMsg, "getUserProfile:ok");
    const thirdOpenid = (await exchange(cfg, (await third.login()).code)).openid;
    assert.ok(![openid, otherOpenid].includes(thirdOpenid));
    assert.strictEqual(third.mock.user, thirdOpenid);
    assert.strictEqual(await userCount(), before + 1, "one user for both calls and the login");
    const thirdUser = await (await fetch(cfg.server + "/__mock__/users/" + thirdOpenid)).json();
    assert.strictEqual(early.userInfo.nickName, thirdUser.nickname);
  },

  // task.abort() right after wx.request / wx.uploadFile: nothing is sent, fail "…:fail abort", complete.
  async syncAbort(cfg) {
    const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
    const rec = await recorder();
    try {
      const requested = await calledBack((callbacks) => wx.request({ url: rec.url + "/r", ...callbacks }).abort());
      assert.deepStrictEqual(requested, [["fail", { errMsg: "request:fail abort" }], ["complete", { errMsg: "request:fail abort" }]]);
      const uploaded = await calledBack((callbacks) =>
        wx.uploadFile({ url: rec.url + "/u", filePath: tempFile("x"), name: "file", ...callbacks }).abort());
      assert.deepStrictEqual(uploaded, [["fail", { errMsg: "uploadFile:fail abort" }], ["complete", { errMsg: "uploadFile:fail abort" }]]);
      // Without callbacks too (the task is all one gets back).
      wx.request({ url: rec.url + "/silent" }).abort();
      await tick(200);
      assert.deepStrictEqual(rec.seen, []);
      // Aborting after the answer changes nothing.
      let task;
      const done = await calledBack((callbacks) => {
        task = wx.request({ url: rec.url + "/late", ...callbacks });
      });
      task.abort();
      assert.strictEqual(done[0][0], "success");
      assert.deepStrictEqual(rec.seen.map((r) => r.url), ["/late"]);
    } finally {
      rec.close();
    }
  },

  // Storage failures: one "<api>:fail " prefix, in every form.
  async storageErrors(cfg) {
    const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
    const param = "parameter error: key should be a non-empty string";
    await assert.rejects(wx.setStorage({ key: "", data: 1 }), { errMsg: "setStorage:fail " + param });
    await assert.rejects(wx.getStorage({}), { errMsg: "getStorage:fail " + param });
    await assert.rejects(wx.removeStorage({ key: 3 }), { errMsg: "removeStorage:fail " + param });
    const called = await calledBack((callbacks) => wx.setStorage({ key: "", data: 1, ...callbacks }));
    assert.deepStrictEqual(called[0], ["fail", { errMsg: "setStorage:fail " + param }]);
    await assert.rejects(wx.setStorage({ key: "f", data: () => 1 }), { errMsg: "setStorage:fail data is not serializable" });
    assert.throws(() => wx.setStorageSync("", 1), { message: "setStorageSync:fail " + param });
    assert.throws(() => wx.getStorageSync(""), { message: "getStorageSync:fail " + param });
    assert.throws(() => wx.removeStorageSync(undefined), { message: "removeStorageSync:fail " + param });
    const cycle = {};
    cycle.self = cycle;
    assert.throws(() => wx.setStorageSync("c", cycle), { message: "setStorageSync:fail data is not serializable" });
    assert.throws(() => wx.setStorageSync("big", "x".repeat(1024 * 1024)),
      { message: "setStorageSync:fail entry size limit reached" });
    assert.deepStrictEqual(wx.getStorageInfoSync().keys, []);
  },

  // What a success/fail callback throws: complete still runs, the call does not fail, and the error
  // is an ordinary uncaught exception (not an unhandled rejection, not swallowed).
  async callbackExceptions(cfg) {
    const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
    const uncaught = [];
    const rejections = [];
    process.on("uncaughtException", (err) => uncaught.push(err.message));
    process.on("unhandledRejection", (err) => rejections.push(String((err && err.message) || err)));
    const rec = await recorder();
    try {
      const stored = await calledBack((callbacks) => wx.setStorage({
        key: "k", data: 1, ...callbacks,
        success: (res) => { callbacks.success(res); throw new Error("boom in success"); },
      }));
      assert.deepStrictEqual(stored.map((c) => c[0]), ["success", "complete"]);
      const requested = await calledBack((callbacks) => wx.request({
        url: rec.url + "/", ...callbacks,
        success: (res) => { callbacks.success(res); throw new Error("boom in request success"); },
      }));
      assert.deepStrictEqual(requested.map((c) => c[0]), ["success", "complete"]);
      const failed = await calledBack((callbacks) => wx.getStorage({
        key: "missing", ...callbacks,
        fail: (res) => { callbacks.fail(res); throw new Error("boom in fail"); },
      }));
      assert.deepStrictEqual(failed.map((c) => c[0]), ["fail", "complete"]);
      wx.getStorageInfo({ complete: () => { throw new Error("boom in complete"); } });
      await tick(100);
    } finally {
      rec.close();
    }
    assert.deepStrictEqual(rejections, []);
    assert.deepStrictEqual(uncaught.sort(),
      ["boom in complete", "boom in fail", "boom in request success", "boom in success"]);
  },

  // A Date comes back as a Date; the 10 MB total is enforced.
  async storageDatesAndLimit(cfg) {
    const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
    const when = new Date("2024-02-29T12:34:56.789Z");
    wx.setStorageSync("when", when);
    const back = wx.getStorageSync("when");
    assert.ok(back instanceof Date && back !== when);
    assert.strictEqual(back.getTime(), when.getTime());
    await wx.setStorage({ key: "when2", data: when });
    const async = (await wx.getStorage({ key: "when2" })).data;
    assert.ok(async instanceof Date);
    assert.strictEqual(async.getTime(), when.getTime());
    // Inside an object a Date goes through JSON.stringify, as real wx does.
    wx.setStorageSync("nested", { at: when });
    assert.deepStrictEqual(wx.getStorageSync("nested"), { at: when.toISOString() });
    wx.clearStorageSync();

    const chunk = "a".repeat(1000 * 1000); // 1,000,002 bytes stored as JSON: under the 1 MB per key
    for (let i = 0; i < 10; i++) wx.setStorageSync("k" + i, chunk);
    assert.throws(() => wx.setStorageSync("k10", chunk), { message: "setStorageSync:fail exceed storage max size 10MB" });
    await assert.rejects(wx.setStorage({ key: "k10", data: chunk }), { errMsg: "setStorage:fail exceed storage max size 10MB" });
    assert.strictEqual(wx.getStorageSync("k10"), "");
    const info = wx.getStorageInfoSync();
    assert.strictEqual(info.keys.length, 10);
    assert.ok(info.currentSize <= info.limitSize && info.currentSize > 9700, JSON.stringify(info.currentSize));
    wx.setStorageSync("k0", chunk.replace(/a/g, "b")); // replacing a key counts its new size only
    wx.removeStorageSync("k1");
    wx.setStorageSync("k10", chunk);
    await new Promise((resolve) => wx.clearStorage({ complete: resolve }));
    assert.strictEqual(wx.getStorageInfoSync().currentSize, 0);
    for (let i = 0; i < 10; i++) wx.setStorageSync("k" + i, chunk);
  },
};

// requestSubscribeMessage against an app whose templates cfg.templates names (one-time, one-time, long-term).
CHECKS.subscribe = async function (cfg) {
  const [order, paid, bus] = cfg.templates;
  const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
  // By default the user taps "allow" for every template asked for.
  assert.deepStrictEqual(await wx.requestSubscribeMessage({ tmplIds: [order, paid] }), {
    [order]: "accept", [paid]: "accept", errMsg: "requestSubscribeMessage:ok" });
  wx.mock.setSubscribeAnswer({ [paid]: false });
  const calls = await calledBack((callbacks) => wx.requestSubscribeMessage(Object.assign({ tmplIds: [order, paid] }, callbacks)));
  assert.deepStrictEqual(calls.map((c) => c[0]), ["success", "complete"]);
  assert.deepStrictEqual(calls[0][1], { [order]: "accept", [paid]: "reject", errMsg: "requestSubscribeMessage:ok" });
  wx.mock.setSubscribeAnswer(false);
  assert.deepStrictEqual(await wx.requestSubscribeMessage({ tmplIds: [bus] }), { [bus]: "reject", errMsg: "requestSubscribeMessage:ok" });
  wx.mock.setSubscribeAnswer(undefined); // back to the default
  // The mini program's own failures, with their errCode.
  await assert.rejects(wx.requestSubscribeMessage({ tmplIds: [] }), {
    errMsg: "requestSubscribeMessage:fail TmplIds can't be empty", errCode: 10001 });
  await assert.rejects(wx.requestSubscribeMessage({ tmplIds: [order, bus] }), {
    errMsg: "requestSubscribeMessage:fail Templates type must be same", errCode: 20002 });
  await assert.rejects(wx.requestSubscribeMessage({ tmplIds: ["unknown"] }), {
    errMsg: "requestSubscribeMessage:fail No template data return, verify the template id exist", errCode: 20001 });
  const failed = await calledBack((callbacks) => wx.requestSubscribeMessage(Object.assign({ tmplIds: ["a", "b", "c", "d"] }, callbacks)));
  assert.deepStrictEqual(failed.map((c) => c[0]), ["fail", "complete"]);
  assert.strictEqual(failed[0][1].errCode, 20003);
  // createWx's own answer for every dialog.
  const refuser = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user, subscribeAnswer: false });
  assert.deepStrictEqual(await refuser.requestSubscribeMessage({ tmplIds: [bus] }), { [bus]: "reject", errMsg: "requestSubscribeMessage:ok" });
};

async function main() {
  const check = CHECKS[process.argv[2]];
  if (!check) throw new Error("unknown check " + process.argv[2] + "; one of " + Object.keys(CHECKS).join(", "));
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error("check " + process.argv[2] + " did not finish in 30 s")), 30000);
  });
  await Promise.race([check(JSON.parse(process.argv[3])), timeout]);
  clearTimeout(timer);
  process.stdout.write("ok");
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write((err && err.stack) || JSON.stringify(err));
    process.exit(1);
  }
);
