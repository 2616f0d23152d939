// Runs the real npm openid-client (6.x) against a running mockserver's Authing OIDC provider and
// prints one JSON report on stdout: discovery, authorization code + PKCE through login_hint (the
// redirect followed by fetch, no browser), userinfo, refresh, revocation, end session; and, as a
// confidential client (client_secret_basic), introspection and the client_credentials grant.
// tests/e2e/test_oidc_clients.py runs it and checks the report against the server's state.
//
//   node openid_client_flow.mjs '{"issuer": "http://127.0.0.1:PORT/oidc", "appId": "...",
//                                 "secret": "...", "user": "alice"}'
import * as client from "openid-client";

const cfg = JSON.parse(process.argv[2]);
const REDIRECT = "http://localhost:5173/callback";
const insecure = { execute: [client.allowInsecureRequests] }; // the mock serves plain http

async function step(report, name, fn) {
  try {
    report[name] = { result: await fn() };
  } catch (err) {
    report[name] = { thrown: { name: err.name, code: err.code, error: err.error, status: err.status,
                               message: err.message } };
  }
}

async function loginWithHint(config, scope) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope, state, nonce, login_hint: cfg.user,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  });
  const answer = await fetch(url, { redirect: "manual" });
  const callback = new URL(answer.headers.get("location"));
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
  });
  return { status: answer.status, callback: callback.href, tokens, claims: tokens.claims() };
}

const report = {};
const pub = await client.discovery(new URL(cfg.issuer), cfg.appId, undefined, client.None(), insecure);
report.discovery = pub.serverMetadata();
const login = await loginWithHint(pub, "openid profile offline_access");
report.login = { status: login.status, callback: login.callback, claims: login.claims,
                 tokens: { ...login.tokens } };
const sub = login.claims.sub;
await step(report, "userinfo", () => client.fetchUserInfo(pub, login.tokens.access_token, sub));
await step(report, "refresh", async () => ({ ...(await client.refreshTokenGrant(pub, login.tokens.refresh_token)) }));
const refreshed = report.refresh.result;
await step(report, "userinfoAfterRefresh", () => client.fetchUserInfo(pub, refreshed.access_token, sub));
await step(report, "revoke", async () => (await client.tokenRevocation(pub, refreshed.access_token)) ?? null);
await step(report, "userinfoAfterRevoke", () => client.fetchUserInfo(pub, refreshed.access_token, sub));
await step(report, "revokeRefresh", async () => (await client.tokenRevocation(pub, login.tokens.refresh_token)) ?? null);
await step(report, "refreshAfterRevoke", () => client.refreshTokenGrant(pub, login.tokens.refresh_token));
await step(report, "endSession", async () => {
  const url = client.buildEndSessionUrl(pub, {
    post_logout_redirect_uri: "http://localhost:5173/bye", id_token_hint: login.tokens.id_token, state: "bye-1",
  });
  const answer = await fetch(url, { redirect: "manual" });
  return { url: url.href, status: answer.status, location: answer.headers.get("location") };
});
await step(report, "userinfoAfterEndSession", () => client.fetchUserInfo(pub, login.tokens.access_token, sub));

// A confidential client of the same app: HTTP Basic at every endpoint.
const conf = await client.discovery(new URL(cfg.issuer), cfg.appId, undefined,
                                    client.ClientSecretBasic(cfg.secret), insecure);
const second = await loginWithHint(conf, "openid email");
report.basicLogin = { claims: second.claims, tokens: { ...second.tokens } };
await step(report, "introspect", () => client.tokenIntrospection(conf, second.tokens.access_token));
await step(report, "clientCredentials", async () => ({ ...(await client.clientCredentialsGrant(conf, {})) }));
await step(report, "introspectClientToken",
           () => client.tokenIntrospection(conf, report.clientCredentials.result.access_token));
const wrong = await client.discovery(new URL(cfg.issuer), cfg.appId, undefined,
                                     client.ClientSecretBasic("0".repeat(32)), insecure);
await step(report, "wrongSecret", () => client.clientCredentialsGrant(wrong, {}));
console.log(JSON.stringify(report));
