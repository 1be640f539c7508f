import { html, type SafeHtml } from "./html.ts";
import { messageRegion } from "./page-parts.ts";
import { defineWords } from "./words.ts";

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

/** The sign-in card's words, the same on every node; each node adds its own `signIn.lead`. */
export const signInWords = defineWords(
  {
    "signIn.title": "Sign in",
    "signIn.username": "Username",
    "signIn.password": "Password",
    "signIn.submit": "Sign in",
    "signIn.working": "Signing in…",
    "signIn.failed": "Sign-in failed",
    "signIn.wrong": "Wrong username or password.",
    "signIn.lockedTitle": "Too many failed attempts",
    "signIn.lockedUntil": "Sign-in is possible again at {time} (in {seconds} s).",
    "signIn.unlocked": "You can try again now.",
  },
  {
    "signIn.title": "Вход",
    "signIn.username": "Имя пользователя",
    "signIn.password": "Пароль",
    "signIn.submit": "Войти",
    "signIn.working": "Входим…",
    "signIn.failed": "Войти не удалось",
    "signIn.wrong": "Неверное имя пользователя или пароль.",
    "signIn.lockedTitle": "Слишком много неудачных попыток",
    "signIn.lockedUntil": "Войти снова можно в {time} (через {seconds} с).",
    "signIn.unlocked": "Можно попробовать снова.",
  },
);
