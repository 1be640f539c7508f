import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv, HttpApp } from "../http/create-http-app.ts";
import favicon from "./favicon.svg" with { type: "text" };
import { html, type SafeHtml, trustedHtml } from "./html.ts";
import pageKitStyle from "./page-kit.css" with { type: "text" };
import { withKitWords } from "./kit-words.ts";
import { type Dictionary, isPageLanguage, languageNames, type PageData, type PageLanguage, pageLanguages } from "./words.ts";

export const languageCookieName = "salescontrol_lang";
export const faviconPath = "/favicon.svg";

export interface PageNavigationLink {
  href: string;
  label: string;
  current: boolean;
}

export interface PageOptions<Data> {
  language: PageLanguage;
  /** The page's own words in that language; the kit's are added. */
  words: Dictionary;
  title: string;
  product: string;
  homeHref: string;
  navigation?: PageNavigationLink[];
  /** The signed-in person, with where the sign-out button posts and goes afterwards. */
  account?: { name: string; signOutPath: string; signedOutHref: string } | null;
  main: SafeHtml;
  /** The page's bundled client module. */
  script?: string;
  data?: Data;
  /** Outside origins the page's script must reach beyond its own (the agent console's phone talks to Twilio). */
  connectSources?: readonly string[];
}

/**
 * The page's language: `?lang=` (remembered in a cookie), then the cookie, then the browser's
 * Accept-Language, then English.
 */
export function pageLanguage(c: Context<AppEnv>): PageLanguage {
  const asked = c.req.query("lang");
  if (isPageLanguage(asked)) {
    c.header("Set-Cookie", `${languageCookieName}=${asked}; Path=/; SameSite=Lax; Max-Age=31536000`, { append: true });
    return asked;
  }
  const remembered = getCookie(c, languageCookieName);
  if (isPageLanguage(remembered)) return remembered;
  for (const part of (c.req.header("accept-language") ?? "").split(",")) {
    const tag = part.split(";")[0]!.trim().slice(0, 2).toLowerCase();
    if (isPageLanguage(tag)) return tag;
  }
  return "en";
}

function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/**
 * One page in the kit's layout: a bar with the product, the navigation and the account, then the
 * content column. Each response gets a fresh nonce: only the page's own style and script may run.
 */
export function renderPage<Data>(c: Context<AppEnv>, options: PageOptions<Data>): Response {
  const nonce = randomBytes(16).toString("base64");
  const outside = (options.connectSources ?? []).map((source) => ` ${source}`).join("");
  const { words, say } = withKitWords(options.language, options.words);
  const path = c.req.path;
  const otherLanguages = pageLanguages.filter((language) => language !== options.language);
  const data: PageData<Data | null> = { language: options.language, words, data: options.data ?? null };
  const navigation = options.navigation ?? [];
  const document = html`<!doctype html>
<html lang="${options.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${options.product}</title>
<link rel="icon" type="image/svg+xml" href="${faviconPath}">
<style nonce="${nonce}">${trustedHtml(pageKitStyle)}</style>
</head>
<body>
<a class="skip" href="#main">${say("kit.skip")}</a>
<header class="bar">
  <a class="brand" href="${options.homeHref}">${trustedHtml(favicon.trim().replace("<svg ", '<svg aria-hidden="true" focusable="false" '))}${options.product}</a>
  ${navigation.length > 0 ? html`<nav aria-label="${say("kit.pages")}"><ul>${navigation.map((link) => html`<li><a href="${link.href}"${link.current ? trustedHtml(' aria-current="page"') : ""}>${link.label}</a></li>`)}</ul></nav>` : html`<span class="spacer"></span>`}
  <div class="bar-end">
    ${otherLanguages.map((language) => html`<a href="${path}?lang=${language}" lang="${language}" hreflang="${language}">${languageNames[language]}</a>`)}
    ${options.account ? html`<span id="who" title="${say("kit.signedInAs", { name: options.account.name })}">${options.account.name}</span><button type="button" id="sign-out" data-path="${options.account.signOutPath}" data-then="${options.account.signedOutHref}">${say("kit.signOut")}</button>` : ""}
  </div>
</header>
<main id="main" tabindex="-1">
${options.main}
</main>
<script type="application/json" id="page-data">${trustedHtml(scriptJson(data))}</script>
${options.script ? html`<script type="module" nonce="${nonce}">${trustedHtml(options.script.replace(/<\/script/gi, "<\\/script"))}</script>` : ""}
</body>
</html>`;
  return c.html(document.markup, 200, {
    "Content-Security-Policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; media-src 'self' blob:${outside}; connect-src 'self'${outside}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Content-Language": options.language,
  });
}

/** The kit's own assets: the favicon (browsers also ask for /favicon.ico). */
export function registerPageAssets(app: HttpApp): void {
  const icon = () =>
    new Response(favicon, { headers: { "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff" } });
  app.get(faviconPath, icon);
  app.get("/favicon.ico", icon);
}
