// Runs the password and pass-code logins of the real npm authing-node-sdk (4.0.x, v3 API) against a
// running mockserver and prints one JSON report on stdout: signUpByEmailPassword,
// signInByEmailPassword (in clear, and RSA-encrypted with the key of getSystemInfo), a wrong
// password, sendSms → the code read from the control plane's outbox → signInByPhonePassCode, and
// sendEmail → signInByEmailPassCode; then, logged in, updatePassword, bindPhone and bindEmail.
// tests/e2e/test_signin_clients.py runs it and checks the report.
//
//   node authing_node_sdk_signin.js '{"server": "http://127.0.0.1:PORT", "appId": "...", "secret": "...",
//                                     "email": "...", "password": "...", "phone": "...", "bindPhone": "...",
//                                     "bindEmail": "..."}'
"use strict";

const crypto = require("crypto");
const { AuthenticationClient } = require("authing-node-sdk");

async function step(report, name, fn) {
  try {
    report[name] = { result: await fn() };
  } catch (err) {
    report[name] = { thrown: { message: String(err && err.message || err),
                               data: err && err.response && err.response.data } };
  }
}

async function outbox(server, kind) {
  const listed = await (await fetch(`${server}/__mock__/authing/${kind}`)).json();
  const items = listed.codes || listed.emails;
  return items[items.length - 1].code;
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const authing = new AuthenticationClient({ appId: cfg.appId, appSecret: cfg.secret, appHost: cfg.server });
  const report = {};
  await step(report, "signUp", () => authing.signUpByEmailPassword({ email: cfg.email, password: cfg.password }));
  await step(report, "signIn", () => authing.signInByEmailPassword({
    email: cfg.email, password: cfg.password, options: { scope: "openid profile email offline_access" } }));
  await step(report, "system", () => authing.getSystemInfo());
  const encrypted = crypto.publicEncrypt({ key: report.system.result.rsa.publicKey,
                                           padding: crypto.constants.RSA_PKCS1_PADDING },
                                         Buffer.from(cfg.password)).toString("base64");
  await step(report, "signInEncrypted", () => authing.signInByEmailPassword({
    email: cfg.email, password: encrypted, options: { passwordEncryptType: "rsa" } }));
  await step(report, "wrongPassword", () => authing.signInByEmailPassword({ email: cfg.email, password: "nope" }));
  await step(report, "sendSms", () => authing.sendSms({ channel: "CHANNEL_LOGIN", phoneNumber: cfg.phone }));
  const smsCode = await outbox(cfg.server, "sms");
  await step(report, "signInByPhonePassCode", () => authing.signInByPhonePassCode({
    phone: cfg.phone, passCode: smsCode, options: { autoRegister: true } }));
  await step(report, "sendEmail", () => authing.sendEmail({ channel: "CHANNEL_LOGIN", email: cfg.email }));
  const emailCode = await outbox(cfg.server, "emails");
  await step(report, "signInByEmailPassCode", () => authing.signInByEmailPassCode({
    email: cfg.email, passCode: emailCode }));
  authing.setAccessToken(report.signIn.result.data.access_token);
  await step(report, "updatePassword", () => authing.updatePassword({ newPassword: "node-pass-2",
                                                                        oldPassword: cfg.password }));
  await step(report, "signInWithNewPassword", () => authing.signInByEmailPassword({
    email: cfg.email, password: "node-pass-2" }));
  await step(report, "sendBindSms", () => authing.sendSms({ channel: "CHANNEL_BIND_PHONE", phoneNumber: cfg.bindPhone }));
  const bindSms = await outbox(cfg.server, "sms");
  await step(report, "bindPhone", () => authing.bindPhone({ phoneNumber: cfg.bindPhone, passCode: bindSms }));
  await step(report, "sendBindEmail", () => authing.sendEmail({ channel: "CHANNEL_BIND_EMAIL", email: cfg.bindEmail }));
  const bindMail = await outbox(cfg.server, "emails");
  await step(report, "bindEmail", () => authing.bindEmail({ email: cfg.bindEmail, passCode: bindMail }));
  console.log(JSON.stringify(report));
}

main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
