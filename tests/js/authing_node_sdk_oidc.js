// Runs the OIDC parts of the real npm authing-node-sdk (4.0.x) against a running mockserver and
// prints one JSON report on stdout: buildAuthorizeUrl (followed without a browser, with the mock's
// login_hint appended) → getAccessTokenByCode, parseIDToken, getUserInfoByAccessToken,
// getNewAccessTokenByRefreshToken, introspectToken, revokeToken and buildLogoutUrl.
// tests/e2e/test_oidc_clients.py runs it and checks the report.
//
//   node authing_node_sdk_oidc.js '{"server": "http://127.0.0.1:PORT", "appId": "...", "secret": "...",
//                                   "user": "alice", "method": "client_secret_post"}'
// (method: client_secret_post or client_secret_basic; "none" needs PKCE, which buildAuthorizeUrl does not add)
"use strict";

const { AuthenticationClient } = require("authing-node-sdk");

async function step(report, name, fn) {
  try {
    report[name] = { result: await fn() };
  } catch (err) {
    report[name] = { thrown: { message: String(err && err.message || err),
                               status: err && err.response && err.response.status,
                               data: err && err.response && err.response.data } };
  }
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const authing = new AuthenticationClient({
    appId: cfg.appId, appSecret: cfg.secret, appHost: cfg.server, redirectUri: "http://localhost:3000/callback",
    logoutRedirectUri: "http://localhost:3000/", scope: "openid profile offline_access",
    tokenEndPointAuthMethod: cfg.method, introspectionEndPointAuthMethod: cfg.method,
    revocationEndPointAuthMethod: cfg.method,
  });
  const report = {};
  const { url, state, nonce } = authing.buildAuthorizeUrl();
  const answer = await fetch(`${url}&login_hint=${encodeURIComponent(cfg.user)}`, { redirect: "manual" });
  const callback = new URL(answer.headers.get("location"));
  report.authorize = { url, state, nonce, status: answer.status, callback: callback.href };
  await step(report, "getAccessTokenByCode", () => authing.getAccessTokenByCode(callback.searchParams.get("code")));
  const tokens = report.getAccessTokenByCode.result;
  await step(report, "parseIDToken", () => authing.parseIDToken(tokens.id_token));
  await step(report, "getUserInfoByAccessToken", () => authing.getUserInfoByAccessToken(tokens.access_token));
  await step(report, "refresh", () => authing.getNewAccessTokenByRefreshToken(tokens.refresh_token));
  await step(report, "introspect", () => authing.introspectToken(report.refresh.result.access_token));
  await step(report, "revoke", () => authing.revokeToken(report.refresh.result.access_token));
  await step(report, "introspectRevoked", () => authing.introspectToken(report.refresh.result.access_token));
  report.logoutUrl = authing.buildLogoutUrl({ idToken: tokens.id_token, state: "bye" });
  const logout = await fetch(report.logoutUrl, { redirect: "manual" });
  report.logout = { status: logout.status, location: logout.headers.get("location") };
  console.log(JSON.stringify(report));
}

main().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
