// A real OpenID provider (panva's oidc-provider) on a free loopback port, for the tests of
// sign-in through an identity provider (escalate/accounts/tests/test_oidc.py).
//
// Usage: node oidc_provider.mjs '<json>' where the JSON gives {clients: [...], accounts:
// {id: {email, ...claims}}}. Prints one line {"issuer": "http://127.0.0.1:PORT"} once listening,
// and runs until killed.
//
// Instead of a login form, the test finishes an interaction with one request:
//   GET /interaction/<uid>/login?account=<id>&acr=<acr>&amr=<a,b>
// which signs the account in (with that acr/amr) and skips consent (a first-party client).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import http from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(process.argv[2] || "{}");
const accounts = config.accounts || {};

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), use: "sig", alg: "RS256" };

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients || [],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    pkce: { required: () => true },
    // Scope claims (email) in the ID token itself, as Entra ID and CIS2 are set up to send them.
    conformIdTokenClaims: false,
    acrValues: ["urn:test:mfa", "urn:test:password"],
    claims: { sid: null, openid: ["sub", "acr", "amr", "auth_time"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    ttl: config.ttl || {},
    async findAccount(ctx, id) {
      if (!accounts[id]) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
    },
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      const existing = session.grantIdFor(client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      session.grantIdFor(client.clientId, grant.jti);
      return grant;
    },
  });
  provider.on("server_error", (ctx, error) => console.error("server_error", error));
  const callback = provider.callback();
  server.on("request", async (req, res) => {
    const url = new URL(req.url, issuer);
    const page = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (page) {
      // For a real browser (the browser tests): a form that names the account.
      const uid = page[1].replace(/[^A-Za-z0-9_-]/g, "");
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.end(`<!DOCTYPE html><html lang="en"><head><title>Loopback provider</title></head><body>
<main><h1>Loopback identity provider</h1>
<form method="get" action="/interaction/${uid}/login">
<label for="account">Account</label> <input id="account" name="account">
<input type="hidden" name="amr" value="pwd,mfa">
<button type="submit">Sign in to the provider</button></form></main></body></html>`);
      return;
    }
    const match = url.pathname.match(/^\/interaction\/([^/]+)\/login$/);
    if (!match) {
      callback(req, res);
      return;
    }
    try {
      await provider.interactionDetails(req, res);
      const amr = url.searchParams.get("amr");
      const result = {
        login: {
          accountId: url.searchParams.get("account"),
          ...(url.searchParams.get("acr") ? { acr: url.searchParams.get("acr") } : {}),
          ...(amr ? { amr: amr.split(",") } : {}),
        },
      };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (error) {
      res.statusCode = 400;
      res.end(String(error));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
