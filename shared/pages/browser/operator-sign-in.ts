import { byId, clearMessage, type PageKit, showMessage } from "./page-kit.ts";

/** Where to go after signing in: only a path on this site. */
export function nextPath(): string {
  const next = new URLSearchParams(location.search).get("next");
  return next && /^\/[A-Za-z0-9/_-]*$/.test(next) && !next.startsWith("//") ? next : "/dashboard";
}

/** Seconds until sign-in is possible again: the Retry-After header, else the error's details. */
function retryAfterSeconds(response: Response, body: { error?: { details?: { retry_after_seconds?: number } }; retry_after_seconds?: number } | null): number {
  const header = Number(response.headers.get("retry-after"));
  if (Number.isFinite(header) && header > 0) return Math.ceil(header);
  const fromBody = body?.error?.details?.retry_after_seconds ?? body?.retry_after_seconds;
  return typeof fromBody === "number" && fromBody > 0 ? Math.ceil(fromBody) : 30;
}

/** The operator sign-in form of `signInMain`: posts the credentials, shows lockouts, then goes to `?next=`. */
export function startOperatorSignIn(kit: PageKit<unknown>): void {
  const form = byId<HTMLFormElement>("login");
  const button = byId<HTMLButtonElement>("sign-in-button");
  const message = byId("sign-in-message");
  const username = byId<HTMLInputElement>("username");
  const password = byId<HTMLInputElement>("password");
  let lockTimer: ReturnType<typeof setInterval> | undefined;

  function lockUntil(until: number): void {
    clearInterval(lockTimer);
    button.disabled = true;
    const tick = () => {
      const seconds = Math.ceil((until - Date.now()) / 1000);
      if (seconds <= 0) {
        clearInterval(lockTimer);
        button.disabled = false;
        button.removeAttribute("aria-describedby");
        showMessage(message, "info", kit.say("signIn.unlocked"));
        return;
      }
      showMessage(message, "bad", kit.say("signIn.lockedTitle"), kit.say("signIn.lockedUntil", { time: kit.time(until), seconds: String(seconds) }));
    };
    button.setAttribute("aria-describedby", "sign-in-message");
    tick();
    lockTimer = setInterval(tick, 1000);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    if (!username.value || !password.value) {
      (username.value ? password : username).focus();
      return;
    }
    clearMessage(message);
    button.disabled = true;
    button.textContent = kit.say("signIn.working");
    let response: Response;
    try {
      response = await fetch("/operator/api/login", {
        method: "POST",
        headers: { "content-type": "application/json", "x-requested-with": "salescontrol" },
        body: JSON.stringify({ username: username.value, password: password.value }),
      });
    } catch {
      button.disabled = false;
      button.textContent = kit.say("signIn.submit");
      showMessage(message, "bad", kit.say("signIn.failed"), kit.say("kit.connectionLost"));
      return;
    }
    button.textContent = kit.say("signIn.submit");
    if (response.ok) {
      location.href = nextPath();
      return;
    }
    const body = await response.json().catch(() => null);
    if (response.status === 429) {
      lockUntil(Date.now() + retryAfterSeconds(response, body) * 1000);
      return;
    }
    button.disabled = false;
    const reason = body?.error?.code === "auth.invalid_credentials" ? kit.say("signIn.wrong") : (body?.error?.message ?? kit.say("kit.requestFailed", { status: response.status }));
    showMessage(message, "bad", kit.say("signIn.failed"), reason);
    password.select();
  });
}
