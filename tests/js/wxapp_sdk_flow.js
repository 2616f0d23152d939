// Runs the real npm authing-wxapp-sdk against a running mockserver, with the wx shim that the
// server itself serves at /__mock__/wx.js, and prints one JSON report of every step on stdout:
// what each SDK call returned (or threw) and what the SDK left in wx storage afterwards.
// tests/test_authing_wxapp_sdk.py runs it and checks the report against the server's state.
//
//   node wxapp_sdk_flow.js '{"server": "http://127.0.0.1:PORT", "appId": "...", "userPoolId": "...",
//                            "wxAppid": "wx...", "user": "alice", "otherUser": "bob",
//                            "smsPhone": "13900000001", "imagePath": "/path/avatar.png"}'
"use strict";

const { loadServedShim, thrown } = require("./support");

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const { createWx } = await loadServedShim(cfg.server);
  const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user, images: [cfg.imagePath] });
  globalThis.wx = wx;
  const { AuthenticationClient } = require("authing-wxapp-sdk");
  const authing = new AuthenticationClient({ appId: cfg.appId, userPoolId: cfg.userPoolId, host: cfg.server });

  const report = {};
  const storage = () => ({
    token: wx.getStorageSync("_authing_token"),
    user: wx.getStorageSync("_authing_user"),
    keys: wx.getStorageInfoSync().keys,
  });
  async function step(name, fn) {
    const entry = {};
    try {
      entry.result = await fn();
    } catch (err) {
      entry.thrown = thrown(err);
    }
    entry.storage = storage();
    report[name] = entry;
    return entry.result;
  }

  // The seed document's flow.
  const login = await step("wxLogin", () => wx.login());
  await step("loginByCode", () => authing.loginByCode(login.code));
  await step("reuseCode", () => authing.loginByCode(login.code));
  await step("updateProfile", () => authing.updateProfile({ nickname: "Bob" }));
  await step("getCurrentUser", () => authing.getCurrentUser());
  await step("checkLoginStatus", () => authing.checkLoginStatus());
  await step("checkLoginStatusExplicit", () => authing.checkLoginStatus(wx.getStorageSync("_authing_token")));

  // Phone number: a fresh wx.login, then what the getPhoneNumber button hands over.
  const phoneLogin = await wx.login();
  const phoneDetail = await step("phoneButton", () => wx.mock.getPhoneNumber());
  await step("getPhone", () => authing.getPhone(phoneLogin.code, phoneDetail.iv, phoneDetail.encryptedData));
  const phoneLogin2 = await wx.login();
  const phoneDetail2 = await wx.mock.getPhoneNumber();
  await step("loginByPhone", () => authing.loginByPhone(phoneLogin2.code, phoneDetail2.iv, phoneDetail2.encryptedData));

  await step("refreshToken", () => authing.refreshToken());
  await step("updateAvatar", () => authing.updateAvatar());

  const tokenBeforeLogout = wx.getStorageSync("_authing_token");
  await step("logout", () => authing.logout());
  await step("checkLoginStatusAfterLogout", () => authing.checkLoginStatus(tokenBeforeLogout));
  await step("getCurrentUserAfterLogout", () => authing.getCurrentUser());
  await step("updateProfileAfterLogout", () => authing.updateProfile({ nickname: "Eve" }));

  // SMS code + bindPhone, as another WeChat user who has no phone yet.
  wx.mock.switchUser(cfg.otherUser);
  const otherLogin = await wx.login();
  await step("otherLoginByCode", () => authing.loginByCode(otherLogin.code));
  await step("sendSmsCode", () => authing.sendSmsCode(cfg.smsPhone));
  const sent = await step("smsOutbox", async () => (await fetch(cfg.server + "/__mock__/authing/sms")).json());
  const smsCode = sent.codes.filter((c) => c.phone === cfg.smsPhone).pop().code;
  const wrongCode = smsCode === "000000" ? "111111" : "000000";
  await step("bindPhoneWrongCode", () => authing.bindPhone(cfg.smsPhone, wrongCode));
  await step("bindPhone", () => authing.bindPhone(cfg.smsPhone, smsCode));
  await step("bindPhoneAgain", () => authing.bindPhone(cfg.smsPhone, smsCode));

  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write((err && err.stack) || String(err));
  process.exit(1);
});
