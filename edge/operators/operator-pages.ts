import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import type { AppEnv } from "../../shared/http/create-http-app.ts";
import operatorHeader from "./operator-header.html" with { type: "text" };
import operatorScript from "./operator-script.html" with { type: "text" };
import operatorStyle from "./operator-style.html" with { type: "text" };

/** An `.html` file imported `with { type: "text" }` (Bun's typings describe HTML imports as bundles). */
export type EmbeddedPage = unknown;

/**
 * The operator pages are embedded in the binary and need nothing from the network. Each response
 * gets a fresh nonce: only the page's own inline script and style may run (Content-Security-Policy).
 */
export function renderOperatorPage(c: Context<AppEnv>, page: EmbeddedPage): Response {
  const nonce = randomBytes(16).toString("base64");
  const html = (page as unknown as string)
    .replace("<!-- operator-style -->", () => operatorStyle as unknown as string)
    .replace("<!-- operator-header -->", () => operatorHeader as unknown as string)
    .replace("<!-- operator-script -->", () => operatorScript as unknown as string)
    .replaceAll("{{nonce}}", nonce);
  return c.html(html, 200, {
    "Content-Security-Policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
  });
}
