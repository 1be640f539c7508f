import { describe, expect, test } from "bun:test";
import { createHttpApp } from "../http/create-http-app.ts";
import { MetricsRegistry } from "../http/metrics.ts";
import { silentLogger } from "../log/logger.ts";
import { escapeHtml, html } from "./html.ts";
import { kitWords } from "./kit-words.ts";
import { languageCookieName, pageLanguage, registerPageAssets, renderPage } from "./page-document.ts";
import { defineWords, translate } from "./words.ts";

const words = defineWords(
  { leads: { one: "{count} lead", other: "{count} leads" }, hello: "Hello, {name}" },
  { leads: { one: "{count} лид", few: "{count} лида", many: "{count} лидов", other: "{count} лида" }, hello: "Привет, {name}" },
);

describe("words", () => {
  test("plural forms by Intl.PluralRules, numbers by Intl.NumberFormat", () => {
    expect(translate(words.en, "en", "leads", { count: 1 })).toBe("1 lead");
    expect(translate(words.en, "en", "leads", { count: 300000 })).toBe("300,000 leads");
    expect([1, 3, 5, 21, 300000].map((count) => translate(words.ru, "ru", "leads", { count }))).toEqual(["1 лид", "3 лида", "5 лидов", "21 лид", "300\u00a0000 лидов"]);
    expect(translate(words.ru, "ru", "hello", { name: "Ольга" })).toBe("Привет, Ольга");
  });

  test("a missing key shows itself, a missing value keeps its placeholder", () => {
    expect(translate(words.en, "en", "nothing.here")).toBe("nothing.here");
    expect(translate(words.en, "en", "hello")).toBe("Hello, {name}");
  });

  test("both kit dictionaries have the same keys", () => {
    expect(Object.keys(kitWords.ru).sort()).toEqual(Object.keys(kitWords.en).sort());
  });
});

describe("html", () => {
  test("values are escaped, markup built by html is not, arrays are joined", () => {
    const name = `<script>alert("x")</script>`;
    expect(html`<p title="${name}">${name}</p>`.markup).toBe(`<p title="${escapeHtml(name)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>`);
    expect(html`<ul>${["a", "<b>"].map((item) => html`<li>${item}</li>`)}</ul>`.markup).toBe("<ul><li>a</li><li>&lt;b&gt;</li></ul>");
    expect(html`${null}${undefined}${false}${0}`.markup).toBe("0");
  });
});

function pageApp() {
  const app = createHttpApp({ node: "test", logger: silentLogger, metrics: new MetricsRegistry(), maxBodyBytes: 1024, health: () => ({ status: "ok" }) });
  registerPageAssets(app);
  app.get("/page", (c) =>
    renderPage(c, {
      language: pageLanguage(c),
      words: {},
      title: "Overview",
      product: "SalesControl test",
      homeHref: "/page",
      navigation: [
        { href: "/page", label: "Overview", current: true },
        { href: "/other", label: "Other", current: false },
      ],
      account: { name: "olga</span>", signOutPath: "/logout", signedOutHref: "/login" },
      main: html`<h1>Overview</h1>`,
      script: "console.log('</script><b>')",
      data: { note: "</script><script>alert(1)</script>" },
    }),
  );
  return app;
}

describe("renderPage", () => {
  test("one fresh nonce per response for the style and the script, and a strict CSP", async () => {
    const app = pageApp();
    const [first, second] = await Promise.all([app.request("/page"), app.request("/page")]);
    const csp = first.headers.get("content-security-policy")!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const page = await first.text();
    expect(page).toContain(`<style nonce="${nonce}">`);
    expect(page).toContain(`<script type="module" nonce="${nonce}">`);
    expect(second.headers.get("content-security-policy")).not.toContain(nonce);
    expect(first.headers.get("cache-control")).toBe("no-store");
  });

  test("data and script cannot close their script element; the account name is escaped", async () => {
    const page = await (await pageApp().request("/page")).text();
    expect(page.match(/<\/script>/g)).toHaveLength(2);
    expect(page).toContain("\\u003c/script>\\u003cscript>alert(1)");
    expect(page).toContain("olga&lt;/span&gt;");
  });

  test("the layout: skip link, navigation with aria-current, favicon, the other language", async () => {
    const page = await (await pageApp().request("/page")).text();
    expect(page).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(page).toContain('<a href="/page" aria-current="page">Overview</a>');
    expect(page).toContain('<a href="/other">Other</a>');
    expect(page).toContain('<link rel="icon" type="image/svg+xml" href="/favicon.svg">');
    expect(page).toContain('<a href="/page?lang=ru" lang="ru" hreflang="ru">Русский</a>');
  });

  test("the language: ?lang= is remembered in a cookie, then the cookie, then Accept-Language, else English", async () => {
    const app = pageApp();
    const asked = await app.request("/page?lang=ru");
    expect(await asked.text()).toContain('<html lang="ru">');
    expect(asked.headers.get("set-cookie")).toContain(`${languageCookieName}=ru`);
    expect(await (await app.request("/page", { headers: { cookie: `${languageCookieName}=ru` } })).text()).toContain("К содержимому");
    expect(await (await app.request("/page", { headers: { "accept-language": "ru-RU,ru;q=0.9,en;q=0.8" } })).text()).toContain('<html lang="ru">');
    expect(await (await app.request("/page", { headers: { "accept-language": "de-DE" } })).text()).toContain('<html lang="en">');
    // A language the pages do not have is ignored, not echoed.
    const unknown = await app.request("/page?lang=%22%3E%3Cscript%3E");
    expect(unknown.headers.get("set-cookie")).toBeNull();
    expect(await unknown.text()).toContain('<html lang="en">');
  });

  test("the favicon is an SVG served from the binary", async () => {
    const response = await pageApp().request("/favicon.svg");
    expect(response.headers.get("content-type")).toBe("image/svg+xml");
    expect(await response.text()).toStartWith("<svg");
  });
});
