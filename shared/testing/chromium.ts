import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium, headless, driven by playwright-core: the browser every page test uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  });
}

export const viewports = {
  desktop: { width: 1366, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof viewports;

/** A browser context of one size whose pages may reach only `origin`: nothing comes from the network. */
export async function openIsolatedContext(browser: Browser, origin: string, viewport: ViewportName, locale = "en-US"): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: viewports[viewport], locale, deviceScaleFactor: 1, isMobile: viewport === "phone", hasTouch: viewport === "phone" });
  await context.route("**/*", (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
  return context;
}

/** Collects console errors and uncaught exceptions of a page. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core (from npm) in the page and returns its serious and critical violations. The source is
 * evaluated through the DevTools protocol, so the page's CSP need not be relaxed.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then((result) =>
    result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, nodes: violation.nodes.map((node) => JSON.stringify(node.target)) })))`)) as AxeViolation[];
  return violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
}

/** How far the page scrolls sideways (0 when everything fits the viewport's width). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - document.documentElement.clientWidth");
}

export interface KeyboardWalk {
  /** Visible, enabled controls that Tab never reached (described by tag, id and text). */
  unreached: string[];
  /** Controls that got focus without a visible focus indicator. */
  invisibleFocus: string[];
  reached: number;
}

// Page-side code is passed as text: this module is type-checked without the DOM's types.
const markControls = `(() => {
  document.activeElement?.blur?.();
  const marks = document.querySelectorAll("a[href], button, input, select, textarea, summary, audio[controls], [tabindex]");
  marks.forEach((element, index) => element.setAttribute("data-walk", String(index)));
  return marks.length;
})()`;

const focusState = `(() => {
  const active = document.activeElement;
  if (!active || active === document.body) return null;
  const style = getComputedStyle(active);
  const shown = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none" || active.tagName === "AUDIO";
  return { mark: active.getAttribute("data-walk"), shown, label: active.tagName.toLowerCase() + "#" + active.id + " " + (active.textContent ?? "").trim().slice(0, 40) };
})()`;

const unreachedControls = (reached: string[]) => `(() => {
  const reached = ${JSON.stringify(reached)};
  const missed = [];
  for (const element of document.querySelectorAll("[data-walk]")) {
    const visible = element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
    if (element.disabled === true || element.getAttribute("tabindex") === "-1" || !visible) continue;
    if (element.closest("details:not([open])") && element.tagName !== "SUMMARY") continue;
    if (!reached.includes(element.getAttribute("data-walk"))) missed.push(element.tagName.toLowerCase() + "#" + element.id + " " + (element.textContent ?? "").trim().slice(0, 40));
  }
  return missed;
})()`;

/**
 * Presses Tab through the page and checks that every visible interactive element gets focus and
 * shows it (an outline or a box shadow while focused).
 */
export async function walkWithKeyboard(page: Page): Promise<KeyboardWalk> {
  const total = (await page.evaluate(markControls)) as number;
  const seen = new Set<string>();
  const invisible = new Set<string>();
  let first: string | null = null;
  // A native player takes several presses (play, time, volume, menu): allow for them.
  for (let step = 0; step < total * 6 + 5; step++) {
    await page.keyboard.press("Tab");
    const state = (await page.evaluate(focusState)) as { mark: string | null; shown: boolean; label: string } | null;
    if (!state?.mark) continue;
    if (state.mark === first) break;
    first ??= state.mark;
    seen.add(state.mark);
    if (!state.shown) invisible.add(state.label);
  }
  const unreached = (await page.evaluate(unreachedControls([...seen]))) as string[];
  return { unreached, invisibleFocus: [...invisible], reached: seen.size };
}

/** The checks every page passes at every size; a usable page gives `usablePage`. */
export async function pageUsability(page: Page) {
  const overflow = await horizontalOverflow(page);
  const violations = await seriousAccessibilityViolations(page);
  const walk = await walkWithKeyboard(page);
  return { overflow, violations, unreached: walk.unreached, invisibleFocus: walk.invisibleFocus, reachedSome: walk.reached > 2 };
}

/** Fits the width, axe finds nothing serious, the keyboard reaches every control and shows its focus. */
export const usablePage: Awaited<ReturnType<typeof pageUsability>> = { overflow: 0, violations: [], unreached: [], invisibleFocus: [], reachedSome: true };
