// The candidate's cabinet for one sitting (issue 6): opened with the
// sitting token the candidate was given for the stage, it shows the
// published check results by PIN (p.74-1), in kk, ru or en, and takes one
// appeal within the appeal period; the appeal commission's decision and
// its reasons appear here when made (the page looks again every 30 s).

import "./style.css";
import "./replay.css";
import { api } from "./api";
import { h } from "./dom";
import { ruleTitle } from "./events";
import { initialLang, lang, loadCatalogue, onLangChange, t, has } from "./i18n";
import { langSwitch } from "./lang-switch";
import { InboxPage, inboxToken } from "./inbox";
import type { Cabinet } from "./replay-types";
import { formatDateTime, formatDeadline } from "./replay-types";

const root = document.getElementById("app") as HTMLElement;
const tokenKey = "kuzet.cabinet.token";

let token = "";
let cab: Cabinet | null = null;
let message = "";
let timer: number | undefined;

/** A request to the cabinet's API with the candidate's sitting token. */
function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  return api<T>(method, path, body, token);
}

const when = (iso: string): string => formatDateTime(iso, lang());

function outcome(o: string | undefined): string {
  switch (o) {
    case "clean":
      return t("cabinet.outcome.clean");
    case "violation":
      return t("cabinet.outcome.violation");
  }
  return "";
}

function tokenForm(): HTMLElement {
  const input = h("input", { id: "token", name: "token", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": "token-hint" });
  const form = h(
    "form",
    { id: "token-form" },
    h("label", { for: "token" }, t("cabinet.token.label")),
    input,
    h("p", { id: "token-hint", class: "hint" }, t("cabinet.token.hint")),
    h("button", { type: "submit" }, t("cabinet.token.open")),
  );
  form.addEventListener("submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    token = input.value.trim();
    void load();
  });
  return h("section", {}, form);
}

function verdictSection(c: Cabinet): HTMLElement {
  const v = c.verdict;
  const sec = h("section", { id: "verdict", "aria-labelledby": "verdict-title" }, h("h2", { id: "verdict-title" }, t("cabinet.verdict.title")));
  if (!v) {
    sec.append(h("p", { class: "empty" }, t("cabinet.why.no_verdict")));
    return sec;
  }
  sec.append(
    h("p", { class: `outcome-${v.outcome}`, id: "outcome", "data-outcome": v.outcome }, outcome(v.outcome)),
    h("p", { class: "meta" }, t("cabinet.verdict.published", { time: when(v.time) })),
  );
  if (v.rules?.length) {
    sec.append(h("p", {}, t("cabinet.verdict.rules")), h("ul", { class: "verdict-rules" }, ...v.rules.map((r) => h("li", {}, `${t("ui.rule", { rule: r })} — ${ruleTitle(r)}`))));
  }
  if (c.effective && c.effective !== v.outcome) {
    sec.append(h("p", { class: `outcome-${c.effective}`, id: "effective" }, t("cabinet.verdict.effective", { outcome: outcome(c.effective) })));
  }
  return sec;
}

function appealSection(c: Cabinet): HTMLElement | null {
  if (!c.verdict) return null;
  const sec = h("section", { id: "appeal", "aria-labelledby": "appeal-title" }, h("h2", { id: "appeal-title" }, t("cabinet.appeal.title")));
  if (c.deadline) sec.append(h("p", { class: "meta" }, t("cabinet.appeal.deadline", { time: formatDeadline(c.deadline, lang()), days: String(c.appeal_days) })));
  const ap = c.appeal;
  if (ap) {
    sec.append(h("p", {}, t("cabinet.appeal.filed", { time: when(ap.filed) })), h("blockquote", { id: "appeal-text" }, ap.text));
    const d = ap.decision;
    if (d) {
      sec.append(
        h("p", { id: "decision", class: `decision decision-${d.outcome}`, "data-outcome": d.outcome },
          h("strong", {}, d.outcome === "overturned" ? t("cabinet.decision.overturned") : t("cabinet.decision.upheld"))),
        h("p", { class: "meta" }, t("cabinet.decision.time", { time: when(d.time) })),
        h("blockquote", { id: "decision-reasons" }, d.reasons),
      );
    } else {
      sec.append(h("p", { id: "decision-pending", class: "hint" }, t("cabinet.decision.pending")));
    }
    return sec;
  }
  if (!c.can_appeal) {
    sec.append(h("p", { class: "hint", id: "why" }, c.why && has(c.why) ? t(c.why) : ""));
    return sec;
  }
  const text = h("textarea", { id: "appeal-input", rows: 6, maxlength: 8000, required: true, "aria-describedby": "appeal-hint" });
  const msg = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { id: "appeal-form" },
    h("label", { for: "appeal-input" }, t("cabinet.appeal.label")),
    text,
    h("p", { id: "appeal-hint", class: "hint" }, t("cabinet.appeal.hint")),
    h("button", { type: "submit" }, t("cabinet.appeal.submit")),
    msg,
  );
  form.addEventListener("submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    call<Cabinet>("POST", "/api/cabinet/appeal", { text: text.value, lang: lang() })
      .then((c2) => {
        cab = c2;
        render();
      })
      .catch((err: unknown) => (msg.textContent = err instanceof Error ? err.message : String(err)));
  });
  sec.append(form);
  return sec;
}

function render(): void {
  document.title = t("cabinet.title");
  const main = h("main", { class: "cabinet" });
  if (!cab) {
    main.append(h("h2", {}, t("cabinet.title")), tokenForm());
  } else {
    const s = cab.sitting;
    const out = h("button", { type: "button", id: "leave" }, t("cabinet.leave"));
    out.addEventListener("click", () => {
      sessionStorage.removeItem(tokenKey);
      token = "";
      cab = null;
      render();
    });
    main.append(
      h("section", {},
        h("h2", { id: "pin" }, t("cabinet.pin", { pin: s.pin })),
        h("p", { class: "meta" }, `${s.competition} · ${s.stage}`),
        out),
      verdictSection(cab),
    );
    const ap = appealSection(cab);
    if (ap) main.append(ap);
  }
  if (message) main.append(h("p", { class: "error", role: "alert" }, message));
  root.replaceChildren(h("header", { class: "top" }, h("h1", {}, t("cabinet.title")), langSwitch()), main);
}

async function load(): Promise<void> {
  message = "";
  try {
    cab = await call<Cabinet>("GET", "/api/cabinet");
    sessionStorage.setItem(tokenKey, token);
    if (timer === undefined) timer = window.setInterval(() => void refresh(), 30000);
  } catch (err) {
    cab = null;
    message = err instanceof Error ? err.message : String(err);
    sessionStorage.removeItem(tokenKey);
  }
  render();
}

// refresh looks for a decision; it leaves a half-written appeal alone.
async function refresh(): Promise<void> {
  if (!token || document.getElementById("appeal-input")) return;
  try {
    cab = await call<Cabinet>("GET", "/api/cabinet");
    render();
  } catch {
    // Keep what is shown; the next look may work.
  }
}

async function main(): Promise<void> {
  // The token may come in the link's fragment (never sent to the server
  // in a URL), or from this tab's earlier visit.
  const frag = new URLSearchParams(location.hash.slice(1));
  await loadCatalogue(initialLang(frag.get("lang") ?? new URLSearchParams(location.search).get("lang")));
  // The application's inbox (cabinet.html#inbox=TOKEN), opened by the
  // link given on applying; a sitting's link (#t=) opens the verdict.
  const inbox = inboxToken(frag);
  if (frag.has("inbox") || (inbox && !frag.has("t") && !sessionStorage.getItem(tokenKey))) {
    if (frag.has("inbox")) history.replaceState(null, "", location.pathname + location.search);
    await new InboxPage(root, inbox).load();
    return;
  }
  onLangChange(render);
  token = frag.get("t") ?? sessionStorage.getItem(tokenKey) ?? "";
  if (frag.has("t")) history.replaceState(null, "", location.pathname + location.search);
  if (token) await load();
  else render();
}

void main();
