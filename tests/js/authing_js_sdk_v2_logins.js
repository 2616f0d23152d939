// Runs the v2 logins of the real npm authing-js-sdk (4.15.8, the GraphQL SDK under
// authing-wxapp-sdk; it encrypts every password with the key of /api/v2/.well-known) against a
// running mockserver and prints one JSON report: registerByEmail, loginByEmail, a wrong password,
// registerByUsername + loginByUsername, sendSmsCode → loginByPhoneCode (a new phone: a new user),
// updatePassword (a user without a password sets one; one with a password gives the old one),
// sendEmail → bindEmail, resetPasswordByEmailCode, setUdv/listUdv. Codes come from the control
// plane's outboxes. tests/e2e/test_signin_clients.py runs it and checks the report.
//
//   node authing_js_sdk_v2_logins.js '{"server": "http://127.0.0.1:PORT", "appId": "..."}'
"use strict";

const { AuthenticationClient } = require("authing-js-sdk");

async function step(report, name, fn) {
  try {
    report[name] = { result: await fn() };
  } catch (err) {
    report[name] = { thrown: err instanceof Error ? { message: err.message } : err };
  }
}

async function newest(server, kind) {
  const listed = await (await fetch(`${server}/__mock__/authing/${kind}`)).json();
  const items = listed.codes || listed.emails;
  return items[items.length - 1].code;
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const authing = new AuthenticationClient({ appId: cfg.appId, appHost: cfg.server });
  const report = {};
  await step(report, "registerByEmail", () => authing.registerByEmail("js@example.com", "js-pass-1"));
  await step(report, "loginByEmail", () => authing.loginByEmail("js@example.com", "js-pass-1"));
  await step(report, "wrongPassword", () => authing.loginByEmail("js@example.com", "nope"));
  await step(report, "registerByUsername", () => authing.registerByUsername("jsuser", "js-pass-2"));
  await step(report, "loginByUsername", () => authing.loginByUsername("jsuser", "js-pass-2"));
  await step(report, "sendSmsCode", () => authing.sendSmsCode("13000130000"));
  const smsCode = await newest(cfg.server, "sms");
  await step(report, "loginByPhoneCode", () => authing.loginByPhoneCode("13000130000", smsCode));
  await step(report, "updatePassword", () => authing.updatePassword("js-pass-3"));
  await step(report, "loginByUsernameAgain", () => authing.loginByUsername("jsuser", "js-pass-2"));
  await step(report, "updatePasswordWithOld", () => authing.updatePassword("js-pass-3", "js-pass-2"));
  await step(report, "sendEmail", () => authing.sendEmail("js-user@example.com", "VERIFY_EMAIL"));
  const bindCode = await newest(cfg.server, "emails");
  await step(report, "bindEmail", () => authing.bindEmail("js-user@example.com", bindCode));
  await step(report, "setUdv", () => authing.setUdv("school", "清华大学"));
  await step(report, "listUdv", () => authing.listUdv());
  await step(report, "sendReset", () => authing.sendEmail("js@example.com", "RESET_PASSWORD"));
  const resetCode = await newest(cfg.server, "emails");
  await step(report, "resetPasswordByEmailCode", () => authing.resetPasswordByEmailCode("js@example.com", resetCode,
                                                                                        "js-pass-4"));
  await step(report, "loginAfterReset", () => authing.loginByEmail("js@example.com", "js-pass-4"));
  console.log(JSON.stringify(report));
}

main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
