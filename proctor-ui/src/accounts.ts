// The accounts screen (issue 16): administrators list the staff accounts
// (username, role, state, created, last login, live sessions), create one
// of any role (the server generates the password when none is typed and
// shows it once), disable and enable, reset a password and end an
// account's sessions. Every staff member changes their own password here
// with the current one. A disabled account or an ended session goes back
// to the login with the reason. Every text comes from the catalogue.

import "./style.css";
import "./hr.css";
import "./accounts.css";
import { api, ApiError } from "./api";
import { clear, h } from "./dom";
import { onLangChange, t } from "./i18n";
import { langSwitch } from "./lang-switch";
import { loginForm, loginReason, startStaffPage } from "./login";
import type { Me } from "./focus";
import { kzTime, refusal } from "./workflow-types";

interface AccountView {
  id: string;
  username: string;
  role: string;
  disabled: boolean;
  disabled_at?: string;
  disabled_by?: string;
  created: string;
  last_login?: string;
  sessions: number;
}

interface Created {
  account: AccountView;
  password?: string;
}

const roles = ["admin", "hr", "proctor", "assessor", "auditor", "commission"] as const;
const root = document.getElementById("app") as HTMLElement;

function header(me: Me | null): HTMLElement {
  const right = h("div", { class: "who" });
  if (me) {
    const out = h("button", { type: "button", id: "logout" }, t("ui.logout"));
    out.addEventListener("click", () => {
      void api("POST", "/api/logout", {}).finally(() => location.reload());
    });
    right.append(h("a", { href: `/${location.search}`, class: "staff-link" }, t("hr.link.dashboard")), " ");
    if (me.role === "hr" || me.role === "admin") right.append(h("a", { href: `/hr.html${location.search}`, class: "staff-link" }, t("hr.link.screens")), " ");
    right.append(h("span", { class: "user" }, t("ui.signed_in_as", { user: me.username, role: me.role })), " ", out);
  }
  return h("header", { class: "top" }, h("h1", {}, t("accounts.title")), langSwitch(), right);
}

function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h("button", { type: "button", ...attrs }, label);
  b.addEventListener("click", onClick);
  return b;
}

function field(id: string, label: string, input: HTMLElement): HTMLElement {
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

class Accounts {
  private list: AccountView[] = [];
  private readonly status = h("div", { class: "hr-status", role: "status", id: "accounts-status" });
  private readonly listEl = h("section", { id: "accounts", "aria-labelledby": "accounts-title" });
  private readonly createEl = h("section", { id: "create-account" });
  private readonly ownEl = h("section", { id: "own-password" });

  constructor(readonly me: Me) {
    onLangChange(() => this.renderAll());
  }

  private get admin(): boolean {
    return this.me.role === "admin";
  }

  async start(): Promise<void> {
    this.renderAll();
    if (this.admin) await this.load();
  }

  private async load(): Promise<void> {
    try {
      this.list = (await api<{ accounts: AccountView[] }>("GET", "/api/accounts")).accounts;
      this.renderList();
    } catch (err) {
      this.fail(err);
    }
  }

  private renderAll(): void {
    document.title = t("accounts.title");
    const parts: HTMLElement[] = [this.status];
    if (this.admin) parts.push(this.listEl, this.createEl);
    else parts.push(h("p", { id: "not-admin" }, t("accounts.not_admin")));
    parts.push(this.ownEl);
    root.replaceChildren(header(this.me), h("main", { class: "hr" }, ...parts));
    this.renderList();
    this.renderCreate();
    this.renderOwn();
  }

  private say(text: string, extra?: HTMLElement): void {
    this.status.className = "hr-status ok";
    this.status.replaceChildren(h("p", {}, text), ...(extra ? [extra] : []));
  }

  private fail(err: unknown): void {
    if (err instanceof ApiError && err.status === 401) {
      showLogin(loginReason(err, true));
      return;
    }
    this.status.className = "hr-status error";
    this.status.replaceChildren(refusal(err));
  }

  /** Shows a password the server generated, once. */
  private shown(user: string, password: string): HTMLElement {
    return h("p", { class: "generated", id: "generated-password" }, t("accounts.generated", { user, password }));
  }

  private renderList(): void {
    if (!this.admin) return;
    const el = this.listEl;
    clear(el);
    el.append(h("h2", { id: "accounts-title" }, t("accounts.list.title")));
    const head = h("tr", {}, ...["username", "role", "state", "created", "last_login", "sessions", "actions"].map((c) => h("th", { scope: "col" }, t(`accounts.col.${c}`))));
    const body = h("tbody");
    for (const a of this.list) {
      const self = a.username === this.me.username;
      const state = a.disabled ? t("accounts.state.disabled", { when: kzTime(a.disabled_at), by: a.disabled_by ?? "" }) : t("accounts.state.enabled");
      const actions = h("td", { class: "actions" });
      if (a.disabled) actions.append(button(t("accounts.action.enable"), () => void this.act(a, "enable")));
      else if (!self) actions.append(button(t("accounts.action.disable"), () => void this.act(a, "disable"), { class: "danger" }));
      actions.append(
        button(t("accounts.action.reset"), () => void this.reset(a)),
        button(t("accounts.action.revoke"), () => void this.revoke(a)),
      );
      body.append(
        h(
          "tr",
          { "data-username": a.username, "data-disabled": String(a.disabled), class: a.disabled ? "disabled" : "" },
          h("td", {}, a.username, self ? ` ${t("accounts.you")}` : ""),
          h("td", {}, t(`accounts.role.${a.role}`)),
          h("td", { class: "state" }, state),
          h("td", {}, kzTime(a.created)),
          h("td", {}, a.last_login ? kzTime(a.last_login) : t("accounts.never")),
          h("td", { class: "sessions" }, String(a.sessions)),
          actions,
        ),
      );
    }
    el.append(h("table", { class: "hr-table accounts" }, h("thead", {}, head), body));
  }

  private async act(a: AccountView, what: "disable" | "enable"): Promise<void> {
    if (what === "disable" && !confirm(t("accounts.confirm.disable", { user: a.username }))) return;
    try {
      await api("POST", `/api/accounts/${encodeURIComponent(a.id)}/${what}`, {});
      this.say(t(what === "disable" ? "accounts.done.disabled" : "accounts.done.enabled", { user: a.username }));
      await this.load();
    } catch (err) {
      this.fail(err);
    }
  }

  private async reset(a: AccountView): Promise<void> {
    if (!confirm(t("accounts.confirm.reset", { user: a.username }))) return;
    try {
      const r = await api<Created>("POST", `/api/accounts/${encodeURIComponent(a.id)}/password`, {});
      this.say(t("accounts.done.reset", { user: a.username }), r.password ? this.shown(a.username, r.password) : undefined);
      await this.load();
    } catch (err) {
      this.fail(err);
    }
  }

  private async revoke(a: AccountView): Promise<void> {
    try {
      const r = await api<{ ended: number }>("DELETE", `/api/accounts/${encodeURIComponent(a.id)}/sessions`);
      this.say(t("accounts.done.revoked", { user: a.username, n: String(r.ended) }));
      await this.load();
    } catch (err) {
      this.fail(err);
    }
  }

  private renderCreate(): void {
    if (!this.admin) return;
    const el = this.createEl;
    clear(el);
    const user = h("input", { id: "new-username", autocomplete: "off", required: true });
    const role = h("select", { id: "new-role" }, ...roles.map((r) => h("option", { value: r }, t(`accounts.role.${r}`))));
    role.value = "hr";
    const pass = h("input", { id: "new-password", type: "password", autocomplete: "new-password" });
    const err = h("div", { id: "create-error" });
    const form = h(
      "form",
      { class: "hr-form", "aria-labelledby": "create-account-title" },
      h("h2", { id: "create-account-title" }, t("accounts.create.title")),
      field("new-username", t("accounts.create.username"), user),
      field("new-role", t("accounts.create.role"), role),
      field("new-password", t("accounts.create.password"), pass),
      h("div", {}, h("button", { type: "submit" }, t("accounts.create.submit"))),
      err,
    );
    form.addEventListener("submit", (ev: SubmitEvent) => {
      ev.preventDefault();
      clear(err);
      api<Created>("POST", "/api/accounts", { username: user.value.trim(), role: role.value, password: pass.value })
        .then(async (r) => {
          this.say(t("accounts.done.created", { user: r.account.username, role: t(`accounts.role.${r.account.role}`) }), r.password ? this.shown(r.account.username, r.password) : undefined);
          user.value = "";
          pass.value = "";
          await this.load();
        })
        .catch((e: unknown) => {
          if (e instanceof ApiError && e.status === 401) this.fail(e);
          else err.replaceChildren(refusal(e));
        });
    });
    el.append(form);
  }

  private renderOwn(): void {
    const el = this.ownEl;
    clear(el);
    const cur = h("input", { id: "own-current", type: "password", autocomplete: "current-password", required: true });
    const next = h("input", { id: "own-new", type: "password", autocomplete: "new-password", required: true });
    const msg = h("div", { id: "own-result" });
    const form = h(
      "form",
      { class: "hr-form", "aria-labelledby": "own-title" },
      h("h2", { id: "own-title" }, t("accounts.own.title")),
      field("own-current", t("accounts.own.current"), cur),
      field("own-new", t("accounts.own.new"), next),
      h("div", {}, h("button", { type: "submit" }, t("accounts.own.submit"))),
      msg,
    );
    form.addEventListener("submit", (ev: SubmitEvent) => {
      ev.preventDefault();
      clear(msg);
      api("POST", "/api/me/password", { current_password: cur.value, new_password: next.value })
        .then(() => {
          cur.value = "";
          next.value = "";
          msg.replaceChildren(h("p", { class: "ok" }, t("accounts.own.done")));
        })
        .catch((e: unknown) => {
          if (e instanceof ApiError && e.status === 401) this.fail(e);
          else msg.replaceChildren(refusal(e));
        });
    });
    el.append(form);
  }
}

declare global {
  interface Window {
    kuzetAccounts?: Accounts;
  }
}

function showLogin(reason = ""): void {
  document.title = t("accounts.title");
  root.replaceChildren(header(null), h("main", {}, loginForm<Me>(t("accounts.login.title"), (me) => show(me), reason)));
  document.getElementById("username")?.focus();
}

function show(me: Me): void {
  const app = new Accounts(me);
  window.kuzetAccounts = app;
  void app.start();
}

void startStaffPage<Me>(show, showLogin);
