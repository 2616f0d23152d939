// A Node client of a hard-coded WeChat host through mockserver's forward proxy, as Node programs
// on Node < 24 use a proxy: https-proxy-agent, the CA trusted through NODE_EXTRA_CA_CERTS.
// Usage: HTTPS_PROXY=... NODE_EXTRA_CA_CERTS=... node proxy_client.js URL  -> {"status", "body"}
const https = require("https");
const { HttpsProxyAgent } = require("https-proxy-agent");

const agent = new HttpsProxyAgent(process.env.HTTPS_PROXY);
https.get(process.argv[2], { agent }, (response) => {
  let body = "";
  response.setEncoding("utf8");
  response.on("data", (chunk) => { body += chunk; });
  response.on("end", () => {
    console.log(JSON.stringify({ status: response.statusCode, body: JSON.parse(body) }));
  });
}).on("error", (error) => {
  console.error(error.message);
  process.exit(1);
});
