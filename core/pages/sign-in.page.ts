import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { messageRegion } from "../../shared/pages/page-parts.ts";
import { signInMain } from "../../shared/pages/sign-in-form.ts";
import type { Say } from "./core-page.ts";

/** The operator form, and below it the seed's way in: the admin token, kept in the tab only. */
export function coreSignInMain(say: Say): SafeHtml {
  return signInMain(
    say,
    html`<form id="token-login" novalidate>
    <h2 id="token-heading">${say("signIn.tokenHeading")}</h2>
    <label for="admin-token">${say("signIn.token")}</label>
    <input id="admin-token" name="admin-token" type="password" autocomplete="off" required aria-describedby="admin-token-hint">
    <p class="hint" id="admin-token-hint">${say("signIn.tokenHint")}</p>
    <p><button id="token-button" class="plain" type="submit">${say("signIn.tokenSubmit")}</button></p>
    ${messageRegion("token-message", "assertive")}
  </form>`,
  );
}
