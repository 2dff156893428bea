// The browser's part of a social sign-in, played over HTTP: follows redirects with a cookie jar,
// fills the provider's login page (or cancels on it), confirms its consent page, submits the
// form_post page, and ends at the app's loopback listener, whose page it returns.

/** @param {string} s */
const decode = (s) =>
  s.replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

/**
 * The first form of a page: its action and its named inputs' values.
 * @param {string} html
 */
function firstForm(html) {
  const form = html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!form || form[1] === undefined || form[2] === undefined) return null;
  /** @type {Record<string, string>} */
  const fields = {};
  for (const input of form[2].matchAll(/<input[^>]*>/gi)) {
    const name = input[0].match(/name="([^"]*)"/)?.[1];
    const value = input[0].match(/value="([^"]*)"/)?.[1] ?? "";
    if (name) fields[decode(name)] = decode(value);
  }
  return { action: decode(form[1]), fields };
}

/**
 * Runs the browser from `url` until a page that is not the provider's: signs in as `email`, or
 * presses the provider's cancel link.
 * @param {string} url
 * @param {{ email: string, cancel?: boolean }} person
 * @returns {Promise<{ url: string, status: number, text: string, visited: string[] }>}
 */
export async function browse(url, { email, cancel = false }) {
  /** @type {Map<string, Map<string, string>>} cookies by host */
  const jar = new Map();
  /** @type {{ method: string, body?: URLSearchParams }} */
  let request = { method: "GET" };
  const visited = [];
  for (let hop = 0; hop < 30; hop++) {
    visited.push(url);
    const host = new URL(url).host;
    const cookies = jar.get(host) ?? new Map();
    const response = await fetch(url, {
      method: request.method,
      body: request.body,
      redirect: "manual",
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";")[0] ?? "";
      const at = pair.indexOf("=");
      cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    jar.set(host, cookies);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).toString();
      request = { method: "GET" };
      continue;
    }
    const text = await response.text();
    const form = firstForm(text);
    const onProvider = form && !url.includes("/callback") && (text.includes("Sign-in") || text.includes("Authorize") || /method="post"/i.test(text));
    if (!form || !onProvider) return { url, status: response.status, text, visited };
    if (cancel && /\/abort"/.test(text)) {
      const abort = text.match(/href="([^"]*\/abort)"/)?.[1];
      url = new URL(decode(abort ?? ""), url).toString();
      request = { method: "GET" };
      continue;
    }
    if ("login" in form.fields) {
      form.fields.login = email;
      form.fields.password = "any password the development provider accepts";
    }
    url = new URL(form.action, url).toString();
    request = { method: "POST", body: new URLSearchParams(form.fields) };
  }
  throw new Error(`the browser went round in circles: ${visited.join(" → ")}`);
}
