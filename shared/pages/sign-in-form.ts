import { html, type SafeHtml } from "./html.ts";
import { messageRegion } from "./page-parts.ts";

/** The operator sign-in card (the `signIn.*` words); `more` adds another way in below the form. */
export function signInMain(say: (key: string) => string, more: SafeHtml | null = null): SafeHtml {
  return html`<section class="card narrow" aria-labelledby="sign-in-heading">
  <h1 id="sign-in-heading">${say("signIn.title")}</h1>
  <p class="muted">${say("signIn.lead")}</p>
  <form id="login" novalidate>
    <label for="username">${say("signIn.username")}</label>
    <input id="username" name="username" type="text" autocomplete="username" required autofocus>
    <label for="password">${say("signIn.password")}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <p><button id="sign-in-button" class="primary" type="submit">${say("signIn.submit")}</button></p>
    ${messageRegion("sign-in-message", "assertive")}
  </form>
  ${more}
</section>`;
}
