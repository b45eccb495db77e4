// The staff login form, shared by the dashboard and the replay: username
// and password to POST /api/login; a refusal is shown under the form in
// the page's language.

import { api, ApiError } from "./api";
import { h } from "./dom";
import { initialLang, loadCatalogue, t } from "./i18n";

/**
 * Why a request sent the user back to the login, or "" when it was simply
 * not logged in: a disabled account and an ended session say so.
 */
export function loginReason(err: unknown, hadSession: boolean): string {
  if (!(err instanceof ApiError) || err.status !== 401) return "";
  if (err.code === "account_disabled" || hadSession) return err.message;
  return "";
}

/**
 * A login form titled title; onLogin gets the signed-in account. reason,
 * if given, is shown under it at once (why the user is back here).
 */
export function loginForm<M>(title: string, onLogin: (me: M) => void, reason = ""): HTMLElement {
  const user = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const pass = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const msg = h("p", { class: "error", role: "alert", id: "login-error" }, reason);
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h2", { id: "login-title" }, title),
    h("label", { for: "username" }, t("ui.login.username")),
    user,
    h("label", { for: "password" }, t("ui.login.password")),
    pass,
    h("button", { type: "submit" }, t("ui.login.submit")),
    msg,
  );
  form.addEventListener("submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    msg.textContent = "";
    api<M>("POST", "/api/login", { username: user.value, password: pass.value })
      .then(onLogin)
      .catch((err: unknown) => {
        msg.textContent = err instanceof Error ? err.message : String(err);
      });
  });
  return form;
}

/**
 * Starts a staff page: loads the catalogue in the chosen language, then
 * shows the page to the signed-in account, or the login with the reason
 * the user is back there.
 */
export async function startStaffPage<M>(show: (me: M) => void, showLogin: (reason: string) => void): Promise<void> {
  await loadCatalogue(initialLang(new URLSearchParams(location.search).get("lang")));
  try {
    show(await api<M>("GET", "/api/me"));
  } catch (err) {
    showLogin(loginReason(err, false));
  }
}
