// Runs the real npm authing-wxapp-sdk against a mockserver whose fault rules the Python test
// (tests/test_faults_authing.py) has set up, and prints one JSON report: for each SDK call, what it
// returned or threw, and the token the SDK stored afterwards.
//
//   node wxapp_sdk_faults.js '{"server": "http://127.0.0.1:PORT", "appId": "...", "userPoolId": "...",
//                              "wxAppid": "wx...", "user": "alice"}'
"use strict";

const { loadServedShim, thrown } = require("./support");

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const { createWx } = await loadServedShim(cfg.server);
  const wx = createWx({ server: cfg.server, appid: cfg.wxAppid, user: cfg.user });
  globalThis.wx = wx;
  const { AuthenticationClient } = require("authing-wxapp-sdk");
  const authing = new AuthenticationClient({ appId: cfg.appId, userPoolId: cfg.userPoolId, host: cfg.server });

  const report = {};
  async function step(name, fn) {
    const entry = {};
    try {
      entry.result = await fn();
      if (entry.result === undefined) entry.result = null;
    } catch (err) {
      entry.thrown = thrown(err);
    }
    entry.token = wx.getStorageSync("_authing_token") || null;
    report[name] = entry;
  }

  // One login code, tried through every fault the test queued on the auth route, then for real.
  const { code } = await wx.login();
  for (const name of cfg.loginSteps) {
    await step(name, () => authing.loginByCode(code));
  }
  for (const name of cfg.profileSteps) {
    await step(name, () => authing.updateProfile({ nickname: name }));
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write((err && err.stack) || String(err));
  process.exit(1);
});
