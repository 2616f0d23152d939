// Runs the real npm authing-js-sdk 4.23.55 (whose generated GraphQL documents select every field
// of Authing's User: customData, phoneCountryCode, Identity.type, ...) against a running mockserver,
// as a user already logged in with `token`, and prints one JSON report: what each call returned
// (or threw). tests/e2e/test_graphql_sdk_documents.py runs it.
//
//   node js_sdk_profile.js '{"server": "http://127.0.0.1:PORT", "appId": "...", "userPoolId": "...",
//                            "token": "<the user's token>", "smsPhone": "13900000002"}'
"use strict";

const { thrown } = require("./support");

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const { AuthenticationClient } = require("authing-js-sdk");
  const authing = new AuthenticationClient({ appId: cfg.appId, userPoolId: cfg.userPoolId, appHost: cfg.server });
  authing.setToken(cfg.token);

  const report = {};
  async function step(name, fn) {
    const entry = {};
    try {
      entry.result = await fn();
    } catch (err) {
      entry.thrown = thrown(err);
    }
    report[name] = entry;
    return entry.result;
  }

  await step("getCurrentUser", () => authing.getCurrentUser());
  await step("updateProfile", () => authing.updateProfile({ nickname: "Alice", city: "杭州" }));
  await step("checkLoginStatus", () => authing.checkLoginStatus());
  await step("sendSmsCode", () => authing.sendSmsCode(cfg.smsPhone));
  const sent = await (await fetch(cfg.server + "/__mock__/authing/sms")).json();
  const smsCode = sent.codes.filter((c) => c.phone === cfg.smsPhone).pop().code;
  await step("bindPhone", () => authing.bindPhone(cfg.smsPhone, smsCode));
  await step("refreshToken", () => authing.refreshToken());
  await step("getCurrentUserAfterAll", () => authing.getCurrentUser());

  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write((err && err.stack) || String(err));
  process.exit(1);
});
