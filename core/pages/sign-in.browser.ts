import { nextPath, startOperatorSignIn } from "../../shared/pages/browser/operator-sign-in.ts";
import { byId, clearMessage, showMessage, startPage } from "../../shared/pages/browser/page-kit.ts";
import { forgetAdminToken, keepAdminToken } from "./browser/admin-token.ts";

const kit = startPage<null>();
startOperatorSignIn(kit);

const form = byId<HTMLFormElement>("token-login");
const input = byId<HTMLInputElement>("admin-token");
const button = byId<HTMLButtonElement>("token-button");
const message = byId("token-message");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = input.value.trim();
  if (!token) {
    input.focus();
    return;
  }
  clearMessage(message);
  button.disabled = true;
  let response: Response;
  try {
    // Any cheap read tells whether the token is good; nothing is kept unless it is.
    response = await fetch("/api/v1/analytics/quality?from=2000-01-01&to=2000-01-01", { headers: { authorization: `Bearer ${token}` } });
  } catch {
    button.disabled = false;
    showMessage(message, "bad", kit.say("signIn.failed"), kit.say("kit.connectionLost"));
    return;
  }
  button.disabled = false;
  if (response.ok) {
    keepAdminToken(token);
    location.href = nextPath();
    return;
  }
  forgetAdminToken();
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  showMessage(message, "bad", kit.say("signIn.failed"), response.status === 401 ? kit.say("signIn.tokenWrong") : (body?.error?.message ?? kit.say("kit.requestFailed", { status: response.status })));
  input.select();
});
