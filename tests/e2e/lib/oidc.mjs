// A real OpenID provider on loopback (npm `oidc-provider`), standing in for Google (answers in
// the query) or Apple (answers by form_post, ES256-signed ID tokens). Its development login
// page signs anyone in as the email typed; the browser leg is lib/browser.mjs.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import http from "node:http";

import Provider from "oidc-provider";

import { listenOnLoopback } from "./webdriver.mjs";

/**
 * @param {{ callback: string, alg?: "RS256" | "ES256", path?: string, stringBooleans?: boolean }}
 *   options the service's callback URL for this provider; the ID token signature algorithm (its
 *   only key); an issuer path ("/tenant/v2", as Microsoft's and Okta's have); and Apple's string
 *   booleans in the ID token (`"email_verified": "true"`)
 */
export async function startProvider({ callback, alg = "RS256", path = "", stringBooleans = false }) {
  // Bound before the provider exists (its issuer names the port), on a port the callback does
  // not use: the service's port is chosen ahead but taken only later.
  const server = http.createServer();
  const servicePort = Number(new URL(callback).port);
  const port = await listenOnLoopback(server, [servicePort]);
  const issuer = `http://127.0.0.1:${port}${path}`;
  const { privateKey } =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), use: "sig", alg };
  const clientId = `keyhaven-${port}`;
  const clientSecret = randomUUID();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [callback],
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: alg,
      },
    ],
    jwks: { keys: [jwk] },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    // Like Google and Apple: the email the `email` scope grants is in the ID token itself.
    conformIdTokenClaims: false,
    // The person's stable id at the provider is derived from the email typed on the login page.
    findAccount: async (/** @type {unknown} */ _ctx, /** @type {string} */ id) => ({
      accountId: id,
      claims: async () => ({ sub: `sub-${id}`, email: id, email_verified: stringBooleans ? "true" : true }),
    }),
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomUUID()] },
  });
  const handle = provider.callback();
  server.on("request", (request, response) => {
    // Mounted under the issuer's path: the provider learns the mount from `originalUrl`.
    const url = request.url ?? "/";
    if (!url.startsWith(path)) {
      response.writeHead(404).end();
      return;
    }
    Object.assign(request, { originalUrl: url, url: url.slice(path.length) || "/" });
    handle(request, response);
  });
  return {
    issuer,
    clientId,
    clientSecret,
    /** The service settings that make it use this provider as `name`. */
    settings(/** @type {string} */ name, formPost = false) {
      const key = `KEYHAVEN_SERVER_SOCIAL__PROVIDERS__${name.toUpperCase()}__`;
      return {
        [`${key}ISSUER`]: issuer,
        [`${key}CLIENT_ID`]: clientId,
        [`${key}CLIENT_SECRET`]: clientSecret,
        [`${key}RESPONSE_MODE`]: formPost ? "form_post" : "query",
      };
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}
