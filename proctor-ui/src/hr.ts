// The HR service's screens (issue 11): the state bodies and the
// competitions with their status, dates, review deadline, counts and
// overdue items; creating one (refusals shown with their clause);
// publishing, cancelling, starting the stages and opening a stage; a
// competition's applications with the applicant's personal data (HR only,
// p.74-1), the document scans, the review (p.73) and the notices; the PINs
// with the proctors of each sitting; the commission (p.14-1) and the
// interview notice (p.122); the identity checks of rule 10.1 (the ID
// photo is HR's alone); the item banks of the test stages (issue 12).
// Every text comes from the catalogue.

import "./style.css";
import "./hr.css";
import { api, ApiError } from "./api";
import { clear, h } from "./dom";
import { lang, onLangChange, t } from "./i18n";
import { langSwitch } from "./lang-switch";
import { loginForm, loginReason, startStaffPage } from "./login";
import { IdentityChecks } from "./identity-checks";
import { BankScreen, programLabel } from "./bank";
import type { Me } from "./focus";
import {
  fromLocalInput,
  kzDate,
  kzDeadline,
  kzTime,
  nameIn,
  refusal,
  stageKinds,
  testKinds,
  type Account,
  type Application,
  type Body,
  type Competition,
  type Member,
  type Overdue,
  type PinRow,
  type RuleSet,
} from "./workflow-types";

const root = document.getElementById("app") as HTMLElement;

const enc = encodeURIComponent;
const appStatuses = ["submitted", "incomplete", "supplemented", "admitted", "refused"] as const;
const grounds = ["absence", "conflict_of_interest", "illness", "other"] as const;

function header(me: Me | null): HTMLElement {
  const right = h("div", { class: "who" });
  if (me) {
    const out = h("button", { type: "button", id: "logout" }, t("ui.logout"));
    out.addEventListener("click", () => {
      void api("POST", "/api/logout", {}).finally(() => location.reload());
    });
    if (me.role === "admin") right.append(h("a", { href: "/", class: "staff-link" }, t("hr.link.dashboard")), " ", h("a", { href: `/accounts.html${location.search}`, class: "staff-link", id: "accounts-link" }, t("accounts.link")), " ");
    right.append(h("span", { class: "user" }, t("ui.signed_in_as", { user: me.username, role: me.role })), " ", out);
  }
  return h("header", { class: "top" }, h("h1", {}, t("hr.title")), langSwitch(), right);
}

function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h("button", { type: "button", ...attrs }, label);
  b.addEventListener("click", onClick);
  return b;
}

function field(id: string, label: string, input: HTMLElement): HTMLElement {
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

const statusText = (s: string): string => t(`hr.status.${s}`);
const appStatusText = (s: string): string => t(`hr.app.status.${s}`);
const stageText = (k: string): string => t(`hr.stage.${k}`);
const docText = (k: string): string => t(`hr.doc.${k}`);

class HR {
  private bodies: Body[] = [];
  private ruleSets: RuleSet[] = [];
  private competitions: Competition[] = [];
  private proctors: Account[] = [];
  private staffAccounts: Account[] = [];
  private selected: string | null = null;
  private apps: Application[] = [];
  private overdue: Overdue[] = [];
  private pins: PinRow[] = [];
  private assigned = new Map<string, string[]>();
  private readonly status = h("p", { class: "hr-status", role: "status", id: "hr-status" });
  private readonly listEl = h("section", { id: "competitions", "aria-labelledby": "competitions-title" });
  private readonly createEl = h("section", { id: "create", "aria-labelledby": "create-title" });
  private readonly detailEl = h("section", { id: "competition", "aria-live": "polite" });
  private readonly registerEl = h("section", { id: "register" });
  private readonly identity = new IdentityChecks();
  private readonly bank = new BankScreen(() => this.competitions, (err) => this.fail(err), () => this.fillPrograms());
  // The create form's program pickers by test stage, refilled when HR
  // defines a program.
  private programPicks = new Map<string, HTMLSelectElement>();
  private createError: HTMLElement | null = null;
  private createOpen = false;

  constructor(readonly me: Me) {
    onLangChange(() => this.renderAll());
  }

  async start(): Promise<void> {
    this.renderAll();
    try {
      [this.bodies, this.ruleSets, this.proctors, this.staffAccounts] = await Promise.all([
        api<Body[]>("GET", "/api/bodies"),
        api<RuleSet[]>("GET", "/api/rulesets"),
        api<Account[]>("GET", "/api/proctors"),
        api<Account[]>("GET", "/api/commission/accounts"),
      ]);
      this.renderCreate();
      this.renderRegister();
      // The banks to pick from include those the competitions' stages name.
      await Promise.all([this.loadList().then(() => this.bank.start()), this.identity.load()]);
    } catch (err) {
      this.fail(err);
    }
  }

  private renderAll(): void {
    document.title = t("hr.title");
    root.replaceChildren(header(this.me), h("main", { class: "hr" }, this.status, this.listEl, this.identity.el, this.bank.el, this.createEl, this.detailEl, this.registerEl));
    this.identity.render();
    this.bank.render();
    this.renderRegister();
    this.renderList();
    this.renderCreate();
    this.renderDetail();
  }

  private say(text: string): void {
    this.status.className = "hr-status ok";
    this.status.replaceChildren(text);
  }

  private fail(err: unknown): void {
    // A disabled account or an ended session: back to the login, saying why.
    if (err instanceof ApiError && err.status === 401) {
      showLogin(loginReason(err, true));
      return;
    }
    this.status.className = "hr-status error";
    this.status.replaceChildren(refusal(err));
  }

  private async loadList(): Promise<void> {
    this.competitions = await api<Competition[]>("GET", "/api/competitions");
    this.renderList();
  }

  // ---- the list ----

  private renderList(): void {
    const el = this.listEl;
    clear(el);
    el.append(h("h2", { id: "competitions-title" }, t("hr.competitions.title")));
    if (!this.competitions.length) {
      el.append(h("p", { class: "empty" }, t("hr.competitions.none")));
      return;
    }
    const head = h("tr", {}, ...["position", "body", "status", "opens", "deadline", "review_due", "applications", "overdue", ""].map((c) => h("th", { scope: "col" }, c ? t(`hr.col.${c}`) : "")));
    const rows = this.competitions.map((c) => {
      const counts = appStatuses.filter((s) => (c.counts[s] ?? 0) > 0).map((s) => `${appStatusText(s)}: ${c.counts[s]}`).join(" · ");
      const open = button(t("hr.competition.open"), () => void this.select(c.id, true), { "data-id": c.id, "aria-label": t("hr.competition.open_named", { position: c.position }) });
      return h(
        "tr",
        { "data-id": c.id, "data-status": c.status, class: this.selected === c.id ? "selected" : undefined },
        h("td", {}, c.position),
        h("td", {}, nameIn(c.body_name, c.body)),
        h("td", {}, h("span", { class: `badge st-${c.status}` }, statusText(c.status))),
        h("td", {}, kzDate(c.opens)),
        h("td", {}, kzDate(c.deadline)),
        h("td", {}, kzDeadline(c.review_due)),
        h("td", { class: "counts" }, counts || "—"),
        h("td", {}, c.overdue > 0 ? h("span", { class: "overdue-count" }, t("hr.overdue.count", { n: String(c.overdue) })) : "—"),
        h("td", {}, open),
      );
    });
    el.append(h("table", { class: "hr-table competitions" }, h("thead", {}, head), h("tbody", {}, ...rows)));
  }

  // ---- create ----

  private renderCreate(): void {
    const el = this.createEl;
    clear(el);
    this.programPicks.clear();
    const body = h("select", { id: "c-body", required: true }, h("option", { value: "" }, t("hr.create.pick_body")),
      ...this.bodies.map((b) => h("option", { value: b.id }, `${nameIn(b.name, b.id)} (${b.id})`)));
    const position = h("input", { id: "c-position", type: "text", required: true, maxlength: 300 });
    const exp = h("input", { id: "c-experience", type: "checkbox" });
    const managerial = h("input", { id: "c-managerial", type: "checkbox" });
    const opens = h("input", { id: "c-opens", type: "date", required: true });
    const deadline = h("input", { id: "c-deadline", type: "date", required: true });
    const stageRows = stageKinds.map((k) => {
      const on = h("input", { id: `s-${k}`, type: "checkbox" });
      const starts = h("input", { id: `s-${k}-starts`, type: "datetime-local" });
      const ends = h("input", { id: `s-${k}-ends`, type: "datetime-local" });
      const link = h("input", { id: `s-${k}-link`, type: "url", placeholder: "https://" });
      const program = testKinds.includes(k) ? h("select", { id: `s-${k}-program` }) : null;
      if (program) this.programPicks.set(k, program);
      const row = h("fieldset", { class: "stage-row" },
        h("legend", {}, h("label", { class: "choice" }, on, stageText(k))),
        field(`s-${k}-starts`, t("hr.create.stage_starts"), starts),
        field(`s-${k}-ends`, t("hr.create.stage_ends"), ends),
        k === "interview" ? field(`s-${k}-link`, t("hr.create.stage_link"), link) : null,
        program ? field(`s-${k}-program`, t("programs.pick"), program) : null);
      return { k, on, starts, ends, link, program, row };
    });
    this.fillPrograms();
    const submit = h("button", { type: "submit", id: "c-submit" }, t("hr.create.submit"));
    const form = h("form", { id: "create-form", class: "hr-form", novalidate: true },
      field("c-body", t("hr.create.body"), body),
      field("c-position", t("hr.create.position"), position),
      h("label", { class: "choice" }, exp, t("hr.create.experience")),
      h("label", { class: "choice" }, managerial, t("hr.create.managerial")),
      h("div", { class: "dates" }, field("c-opens", t("hr.create.opens"), opens), field("c-deadline", t("hr.create.deadline"), deadline)),
      h("p", { class: "hint" }, t("hr.create.times_hint")),
      ...stageRows.map((s) => s.row),
      submit,
      this.createError ?? h("div", { class: "refusal-slot" }));
    form.addEventListener("submit", (ev: SubmitEvent) => {
      ev.preventDefault();
      const req = {
        body: body.value,
        position: position.value,
        requires_experience: exp.checked,
        managerial: managerial.checked,
        opens: opens.value,
        deadline: deadline.value,
        stages: stageRows.filter((s) => s.on.checked).map((s) => ({ kind: s.k, starts: fromLocalInput(s.starts.value) || "0001-01-01T00:00:00Z", ends: fromLocalInput(s.ends.value) || "0001-01-01T00:00:00Z", link: s.link.value.trim(), program: s.program?.value ?? "" })),
      };
      submit.disabled = true;
      api<Competition>("POST", "/api/competitions", req)
        .then(async (c) => {
          this.createError = null;
          this.createOpen = false;
          this.renderCreate();
          this.say(t("hr.create.done", { position: c.position }));
          await this.loadList();
          await this.select(c.id, true);
        })
        .catch((err: unknown) => {
          this.createError = refusal(err);
          this.createError.id = "create-error";
          form.querySelector(".refusal, .refusal-slot")?.replaceWith(this.createError);
        })
        .finally(() => (submit.disabled = false));
    });
    const details = h("details", { open: this.createOpen }, h("summary", { id: "create-title" }, t("hr.create.title")), form);
    details.addEventListener("toggle", () => (this.createOpen = details.open));
    el.append(details);
  }

  /** Fills each test stage's program picker with that stage's programs,
   * the shipped example first, keeping what HR picked. */
  private fillPrograms(): void {
    for (const [k, pick] of this.programPicks) {
      const was = pick.value;
      const progs = this.bank.programList().filter((p) => p.stage === k);
      pick.replaceChildren(...progs.map((p) => h("option", { value: p.id, selected: p.id === was }, programLabel(p))));
      if (!progs.length) pick.append(h("option", { value: "" }, t("programs.default")));
    }
  }

  // ---- the register (p.1, Annex 4) ----

  private renderRegister(): void {
    const el = this.registerEl;
    clear(el);
    const bodyName = new Map(this.bodies.map((b) => [b.id, nameIn(b.name, b.id)]));
    const sets = this.ruleSets.map((rs) =>
      h("li", { "data-rule-set": rs.id },
        h("strong", {}, nameIn(rs.title, rs.id)), rs.demo ? h("span", { class: "badge demo-set" }, t("hr.register.demo")) : null,
        h("p", { class: "meta" }, t("hr.register.valid", { act: rs.act, from: rs.valid_from, to: rs.valid_to })),
        h("ul", {}, ...rs.periods.map((p) => h("li", {}, t("hr.register.period", { from: p.from, to: p.to, n: String(p.bodies.length) }), " ",
          h("span", { class: "meta" }, p.bodies.map((b) => bodyName.get(b) ?? b).join(", ")))))));
    el.append(h("details", { class: "panel" }, h("summary", {}, t("hr.register.title")),
      h("p", { class: "hint" }, t("hr.register.hint")),
      h("h3", {}, t("hr.register.sets")), h("ul", { class: "rule-sets" }, ...sets),
      h("h3", {}, t("hr.register.bodies", { n: String(this.bodies.length) })),
      h("ul", { class: "bodies" }, ...this.bodies.map((b) => h("li", {}, `${nameIn(b.name, b.id)} `, h("code", {}, b.id))))));
  }

  // ---- one competition ----

  private current(): Competition | undefined {
    return this.competitions.find((c) => c.id === this.selected);
  }

  /** Shows competition id; reveal scrolls to it (a person chose it). */
  async select(id: string, reveal = false): Promise<void> {
    this.selected = id;
    try {
      const c = await api<Competition>("GET", `/api/competitions/${enc(id)}`);
      this.competitions = this.competitions.map((x) => (x.id === id ? c : x));
      [this.apps, this.overdue, this.pins] = await Promise.all([
        api<Application[]>("GET", `/api/competitions/${enc(id)}/applications`),
        api<Overdue[]>("GET", `/api/competitions/${enc(id)}/overdue`),
        api<PinRow[]>("GET", `/api/competitions/${enc(id)}/pins`),
      ]);
      this.assigned.clear();
      await Promise.all(
        this.pins.flatMap((p) => p.sittings).map(async (s) => {
          const r = await api<{ proctors: string[] }>("GET", `/api/sittings/${enc(s.sitting)}/proctors`).catch(() => ({ proctors: [] }));
          this.assigned.set(s.sitting, r.proctors);
        }),
      );
    } catch (err) {
      this.fail(err);
    }
    this.renderList();
    this.renderDetail();
    if (reveal) this.detailEl.scrollIntoView({ block: "start" });
  }

  /** Runs an action on the competition, then shows the new state. */
  private act(p: Promise<unknown>, done: string): void {
    p.then(async () => {
      this.say(done);
      await this.loadList();
      if (this.selected) await this.select(this.selected);
    }).catch((err: unknown) => this.fail(err));
  }

  private renderDetail(): void {
    const el = this.detailEl;
    clear(el);
    const c = this.current();
    if (!c) return;
    el.setAttribute("aria-labelledby", "competition-title");
    el.dataset["id"] = c.id;
    el.append(
      h("h2", { id: "competition-title" }, c.position, " ", h("span", { class: `badge st-${c.status}`, id: "competition-status" }, statusText(c.status))),
      h("dl", { class: "facts" },
        h("dt", {}, t("hr.col.body")), h("dd", {}, `${nameIn(c.body_name, c.body)} (${c.body})`),
        h("dt", {}, t("hr.detail.rule_set")), h("dd", {}, `${c.rule_set} · ${c.period}`),
        h("dt", {}, t("hr.col.opens")), h("dd", {}, kzDate(c.opens)),
        h("dt", {}, t("hr.col.deadline")), h("dd", {}, kzDate(c.deadline)),
        h("dt", {}, t("hr.col.review_due")), h("dd", {}, t("hr.detail.review_due", { due: kzDeadline(c.review_due) })),
        h("dt", {}, t("hr.detail.experience")), h("dd", {}, c.requires_experience ? t("hr.yes") : t("hr.no"))),
    );
    el.append(this.overdueSection(c), this.actionsSection(c), this.stagesSection(c), this.resultsSection(c), this.applicationsSection(c), this.pinsSection(), this.commissionSection(c), this.historySection(c));
  }

  private overdueSection(c: Competition): HTMLElement {
    const sec = h("section", { class: "overdue", id: "overdue", "aria-labelledby": "overdue-title" }, h("h3", { id: "overdue-title" }, t("hr.overdue.title")));
    if (!this.overdue.length) {
      sec.classList.add("none");
      sec.append(h("p", { class: "empty" }, t("hr.overdue.none")));
      return sec;
    }
    const who = (id?: string): string => {
      const a = this.apps.find((x) => x.id === id);
      return a ? a.personal.name : (id ?? "");
    };
    sec.append(h("ul", {}, ...this.overdue.map((o) =>
      h("li", { class: "overdue-item", "data-kind": o.kind, "data-application": o.application },
        h("strong", { class: "clause" }, o.clause), " ",
        t(`hr.overdue.${o.kind}`, { due: kzDeadline(o.due), candidate: who(o.application), position: c.position })))));
    return sec;
  }

  private actionsSection(c: Competition): HTMLElement {
    const sec = h("section", { class: "panel", id: "actions", "aria-labelledby": "actions-title" }, h("h3", { id: "actions-title" }, t("hr.actions.title")));
    const row = h("div", { class: "row" });
    const id = enc(c.id);
    if (c.status === "draft") row.append(button(t("hr.actions.publish"), () => this.act(api("POST", `/api/competitions/${id}/publish`), t("hr.actions.published")), { id: "publish" }));
    if (c.status === "review") row.append(button(t("hr.actions.start_stages"), () => this.act(api("POST", `/api/competitions/${id}/start-stages`), t("hr.actions.stages_started")), { id: "start-stages" }));
    sec.append(row);
    if (c.status !== "completed" && c.status !== "cancelled") {
      const reason = h("input", { id: "cancel-reason", type: "text", maxlength: 1000 });
      const form = h("form", { class: "inline", id: "cancel-form" }, field("cancel-reason", t("hr.actions.cancel_reason"), reason), h("button", { type: "submit", class: "danger" }, t("hr.actions.cancel")));
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        this.act(api("POST", `/api/competitions/${id}/cancel`, { reason: reason.value }), t("hr.actions.cancelled"));
      });
      sec.append(form);
    }
    if (!row.childElementCount && !sec.querySelector("form")) sec.append(h("p", { class: "empty" }, t("hr.actions.none")));
    return sec;
  }

  private stagesSection(c: Competition): HTMLElement {
    const sec = h("section", { class: "panel", id: "stages", "aria-labelledby": "stages-title" }, h("h3", { id: "stages-title" }, t("hr.stages.title")));
    if (!c.stages.length) {
      sec.append(h("p", { class: "empty" }, t("hr.stages.none")));
      return sec;
    }
    const id = enc(c.id);
    sec.append(h("ul", { class: "stages" }, ...c.stages.map((s) => {
      const li = h("li", { "data-stage": s.kind }, h("strong", {}, stageText(s.kind)), " ", t("hr.stages.when", { starts: kzTime(s.starts), ends: kzTime(s.ends) }));
      if (s.program) {
        const p = this.bank.programList().find((x) => x.id === s.program);
        li.append(h("p", { class: "meta stage-program", "data-program": s.program }, t("programs.pick"), ": ", p ? programLabel(p) : s.program));
      }
      if (s.link) li.append(" ", h("a", { href: s.link, target: "_blank", rel: "noopener noreferrer" }, s.link));
      if (s.kind === "interview") {
        if (s.notified) li.append(h("p", { class: "meta" }, t("hr.stages.notified", { time: kzTime(s.notified) })));
        if (c.status === "stages") {
          li.append(" ", button(s.notified ? t("hr.stages.notify_again") : t("hr.stages.notify"), () => {
            api<{ count: number }>("POST", `/api/competitions/${id}/interview/notify`)
              .then(async (r) => {
                this.say(t("hr.stages.notify_done", { n: String(r.count), date: kzTime(s.starts), link: s.link }));
                await this.select(c.id);
              })
              .catch((err: unknown) => this.fail(err));
          }, { id: "notify-interview" }));
        }
      } else if (s.sittings) {
        li.append(" ", h("span", { class: "badge" }, t("hr.stages.opened")));
      } else if (c.status === "stages") {
        li.append(" ", button(t("hr.stages.open"), () => {
          api<{ count: number }>("POST", `/api/competitions/${id}/stages/${enc(s.kind)}/open`)
            .then(async (r) => {
              this.say(t("hr.stages.open_done", { n: String(r.count), stage: stageText(s.kind) }));
              await this.select(c.id);
            })
            .catch((err: unknown) => this.fail(err));
        }, { "data-open": s.kind }));
      }
      return li;
    })));
    return sec;
  }

  /** p.120 finalists and the results (CSV for the state body). */
  private resultsSection(c: Competition): HTMLElement {
    const id = enc(c.id);
    const sec = h("section", { class: "panel", id: "results", "aria-labelledby": "results-title" }, h("h3", { id: "results-title" }, t("hr.results.title")));
    const iv = c.interview;
    if (iv) {
      sec.append(h("p", {}, t("hr.results.finalists")), h("ol", { class: "finalists" }, ...iv.finalists.map((f) =>
        h("li", { "data-pin": f.pin }, t("hr.results.finalist", { pin: f.pin, total: f.total, interview: f.score ?? "—" })))));
    } else if (c.status === "stages" && c.stages.some((s) => s.kind === "interview")) {
      sec.append(h("p", { class: "hint" }, t("hr.results.select_hint")), button(t("hr.results.select"), () => {
        api<Competition>("POST", `/api/competitions/${id}/interview/select`)
          .then(async () => {
            this.say(t("hr.results.selected"));
            await this.select(c.id);
          })
          .catch((err: unknown) => this.fail(err));
      }, { id: "select-interview" }));
    }
    sec.append(h("p", {}, h("a", { href: `/api/competitions/${id}/results.csv`, download: "", id: "results-csv" }, t("hr.results.csv")), " ",
      h("a", { href: `/api/competitions/${id}/results.pdf?lang=${lang()}`, download: "", id: "results-pdf" }, t("hr.results.pdf"))));
    return sec;
  }

  // ---- applications ----

  private applicationsSection(c: Competition): HTMLElement {
    const sec = h("section", { id: "applications", "aria-labelledby": "applications-title" }, h("h3", { id: "applications-title" }, t("hr.apps.title", { n: String(this.apps.length) })));
    sec.append(h("p", { class: "hint" }, t("hr.apps.privacy")));
    if (!this.apps.length) {
      sec.append(h("p", { class: "empty" }, t("hr.apps.none")));
      return sec;
    }
    for (const a of this.apps) sec.append(this.appCard(c, a));
    return sec;
  }

  private appCard(c: Competition, a: Application): HTMLElement {
    const p = a.personal;
    const card = h("article", { class: `app app-${a.status}`, "data-id": a.id, "data-status": a.status, "aria-labelledby": `app-${a.id}` });
    card.append(
      h("header", {}, h("h4", { id: `app-${a.id}` }, p.name), h("span", { class: `badge app-st-${a.status}` }, appStatusText(a.status)), a.pin ? h("span", { class: "pin" }, t("hr.apps.pin", { pin: a.pin })) : null),
      h("dl", { class: "facts" },
        h("dt", {}, t("hr.apps.iin")), h("dd", {}, p.iin),
        h("dt", {}, t("hr.apps.email")), h("dd", {}, p.email),
        h("dt", {}, t("hr.apps.phone")), h("dd", {}, p.phone),
        h("dt", {}, t("hr.apps.submitted")), h("dd", {}, kzTime(a.submitted))),
    );
    if (a.missing?.length) card.append(h("p", { class: "missing" }, t("hr.apps.missing", { missing: a.missing.join("; ") })));
    if (a.supplement_due && a.status === "incomplete") card.append(h("p", { class: "meta" }, t("hr.apps.supplement_due", { due: kzDeadline(a.supplement_due) })));
    if (a.recheck_due && a.status === "supplemented") card.append(h("p", { class: "meta" }, t("hr.apps.recheck_due", { due: kzDeadline(a.recheck_due) })));
    if (a.reason) card.append(h("p", { class: "reason" }, t("hr.apps.reason", { reason: a.reason })));

    const docs = h("ul", { class: "docs", "aria-label": t("hr.apps.documents") });
    for (const d of a.documents) {
      const url = `/api/applications/${enc(a.id)}/documents/${enc(d.id)}`;
      const li = h("li", { "data-kind": d.kind },
        h("a", { href: url, target: "_blank", rel: "noopener", class: "doc-link", "data-doc": d.id }, docText(d.kind)),
        " ", h("span", { class: "meta" }, `${d.type} · ${Math.max(1, Math.round(d.size / 1024))} KiB · ${kzTime(d.added)}`),
        d.supplement ? h("span", { class: "badge" }, t("hr.apps.supplement_doc")) : null);
      if (d.type.startsWith("image/")) {
        li.append(button(t("hr.apps.preview"), () => {
          const prev = li.querySelector("img.scan");
          if (prev) prev.remove();
          else li.append(h("img", { class: "scan", src: url, alt: docText(d.kind) }));
        }));
      }
      docs.append(li);
    }
    card.append(h("h5", {}, t("hr.apps.documents")), a.documents.length ? docs : h("p", { class: "empty" }, t("hr.apps.no_documents")));
    if (a.lacking.length) card.append(h("p", { class: "lacking", "data-lacking": a.lacking.join(",") }, t("hr.apps.lacking", { docs: a.lacking.map(docText).join(", ") })));
    else card.append(h("p", { class: "complete" }, t("hr.apps.complete")));

    if (c.status === "review" && (a.status === "submitted" || a.status === "supplemented" || a.status === "incomplete")) card.append(this.reviewForm(a));

    const linkBox = h("div", { class: "cabinet-link" });
    linkBox.append(button(t("hr.apps.reissue"), () => {
      if (!window.confirm(t("hr.apps.reissue_confirm", { name: p.name }))) return;
      api<{ link: string }>("POST", `/api/applications/${enc(a.id)}/cabinet`)
        .then((r) => linkBox.replaceChildren(h("p", { class: "hint" }, t("hr.apps.reissued")), h("code", { class: "new-link" }, r.link)))
        .catch((err: unknown) => linkBox.append(refusal(err)));
    }, { class: "secondary" }));
    card.append(linkBox);

    const notices = h("details", { class: "notices" }, h("summary", {}, t("hr.apps.notices")));
    notices.addEventListener("toggle", () => {
      if (!notices.open || notices.dataset["loaded"]) return;
      api<Application>("GET", `/api/applications/${enc(a.id)}`)
        .then((full) => {
          notices.dataset["loaded"] = "1";
          const ns = full.notifications ?? [];
          notices.append(ns.length
            ? h("ul", {}, ...ns.map((n) => h("li", { class: "notice-item", "data-key": n.key }, h("time", { datetime: n.time }, kzTime(n.time)), " ", n.text[lang()] ?? n.key)))
            : h("p", { class: "empty" }, t("hr.apps.no_notices")));
        })
        .catch((err: unknown) => notices.append(refusal(err)));
    });
    card.append(notices);
    return card;
  }

  private reviewForm(a: Application): HTMLElement {
    const id = enc(a.id);
    const box = h("div", { class: "review", role: "group", "aria-label": t("hr.review.title") });
    const msg = h("div", { class: "refusal-slot" });
    const send = (d: { outcome: string; missing?: string[]; reason?: string }, done: string): void => {
      api<Application>("POST", `/api/applications/${id}/review`, { missing: [], reason: "", ...d })
        .then(async () => {
          this.say(done);
          await this.loadList();
          if (this.selected) await this.select(this.selected);
        })
        .catch((err: unknown) => {
          const r = refusal(err);
          msg.replaceChildren(r);
        });
    };
    const name = a.personal.name;
    if (a.status !== "incomplete") box.append(button(t("hr.review.admit"), () => send({ outcome: "admitted" }, t("hr.review.admitted", { name })), { class: "admit" }));
    if (a.status === "submitted") {
      const missing = h("textarea", { id: `missing-${a.id}`, rows: 2, "aria-describedby": `missing-hint-${a.id}` });
      missing.value = a.lacking.map((k) => `${docText(k)} (${k})`).join("\n");
      const f = h("form", { class: "incomplete-form" },
        h("label", { for: `missing-${a.id}` }, t("hr.review.missing")), missing,
        h("p", { class: "hint", id: `missing-hint-${a.id}` }, t("hr.review.missing_hint")),
        h("button", { type: "submit", class: "incomplete" }, t("hr.review.incomplete")));
      f.addEventListener("submit", (ev) => {
        ev.preventDefault();
        send({ outcome: "incomplete", missing: missing.value.split("\n").map((s) => s.trim()).filter(Boolean) }, t("hr.review.marked_incomplete", { name }));
      });
      box.append(f);
    }
    const reason = h("textarea", { id: `reason-${a.id}`, rows: 2, maxlength: 1000 });
    const rf = h("form", { class: "refuse-form" }, h("label", { for: `reason-${a.id}` }, t("hr.review.reason")), reason, h("button", { type: "submit", class: "danger refuse" }, t("hr.review.refuse")));
    rf.addEventListener("submit", (ev) => {
      ev.preventDefault();
      send({ outcome: "refused", reason: reason.value }, t("hr.review.refused", { name }));
    });
    box.append(rf, msg);
    return box;
  }

  // ---- PINs and proctors ----

  private pinsSection(): HTMLElement {
    const sec = h("section", { class: "panel", id: "pins", "aria-labelledby": "pins-title" }, h("h3", { id: "pins-title" }, t("hr.pins.title")));
    sec.append(h("p", { class: "hint" }, t("hr.pins.hint")));
    if (!this.pins.length) {
      sec.append(h("p", { class: "empty" }, t("hr.pins.none")));
      return sec;
    }
    const rows = this.pins.map((p) => {
      const cells = p.sittings.length
        ? h("ul", { class: "sittings" }, ...p.sittings.map((s) => this.assignRow(p.pin, s.stage, s.sitting)))
        : h("span", { class: "empty" }, t("hr.pins.no_sittings"));
      return h("tr", { "data-pin": p.pin }, h("td", { class: "pin" }, p.pin), h("td", {}, cells));
    });
    sec.append(h("table", { class: "hr-table" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("hr.pins.pin")), h("th", { scope: "col" }, t("hr.pins.sittings")))), h("tbody", {}, ...rows)));
    return sec;
  }

  private assignRow(pin: string, stage: string, sitting: string): HTMLElement {
    const now = this.assigned.get(sitting) ?? [];
    const boxes = this.proctors.map((p) => {
      const cb = h("input", { type: "checkbox", value: p.username, checked: now.includes(p.username) });
      return { cb, label: h("label", { class: "choice" }, cb, p.username) };
    });
    const save = button(t("hr.pins.assign"), () => {
      const proctors = boxes.filter((b) => b.cb.checked).map((b) => b.cb.value);
      api<{ proctors: string[] }>("PUT", `/api/sittings/${enc(sitting)}/proctors`, { proctors })
        .then((r) => {
          this.assigned.set(sitting, r.proctors);
          cur.textContent = r.proctors.length ? r.proctors.join(", ") : t("hr.pins.nobody");
          this.say(t("hr.pins.assigned", { pin, stage: stageText(stage), proctors: r.proctors.join(", ") || t("hr.pins.nobody") }));
        })
        .catch((err: unknown) => this.fail(err));
    });
    const cur = h("span", { class: "assigned" }, now.length ? now.join(", ") : t("hr.pins.nobody"));
    return h("li", { "data-sitting": sitting },
      h("strong", {}, stageText(stage)), " ", h("code", {}, sitting), " · ", t("hr.pins.current"), " ", cur,
      h("div", { class: "assign", role: "group", "aria-label": t("hr.pins.assign_for", { pin, stage: stageText(stage) }) }, ...boxes.map((b) => b.label), save));
  }

  // ---- the commission ----

  private username(id: string): string {
    return this.staffAccounts.find((a) => a.id === id)?.username ?? id;
  }

  private commissionSection(c: Competition): HTMLElement {
    const sec = h("section", { class: "panel", id: "commission", "aria-labelledby": "commission-title" }, h("h3", { id: "commission-title" }, t("hr.commission.title")));
    const id = enc(c.id);
    const live = c.status !== "completed" && c.status !== "cancelled";
    if (!c.commission.length) sec.append(h("p", { class: "empty" }, t("hr.commission.none")));
    else sec.append(h("ul", { class: "members" }, ...c.commission.map((m) => this.memberRow(c, m, live))));
    if (!live) return sec;
    const count = h("input", { id: "propose-count", type: "number", min: 1, max: 20, value: 2 });
    const pf = h("form", { class: "inline", id: "propose-form" }, field("propose-count", t("hr.commission.propose_count"), count), h("button", { type: "submit" }, t("hr.commission.propose")));
    pf.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.act(api("POST", `/api/competitions/${id}/commission/propose`, { count: Number(count.value) }), t("hr.commission.proposed"));
    });
    const acct = h("select", { id: "member-account" }, ...this.staffAccounts.map((a) => h("option", { value: a.id }, `${a.username} (${a.role})`)));
    const role = h("select", { id: "member-role" }, h("option", { value: "member" }, t("hr.role.member")), h("option", { value: "assessor" }, t("hr.role.assessor")));
    const af = h("form", { class: "inline", id: "member-form" }, field("member-account", t("hr.commission.account"), acct), field("member-role", t("hr.commission.role"), role), h("button", { type: "submit" }, t("hr.commission.add")));
    af.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.act(api("POST", `/api/competitions/${id}/commission`, { account: acct.value, role: role.value }), t("hr.commission.added"));
    });
    sec.append(h("p", { class: "hint" }, t("hr.commission.hint")), pf, af);
    return sec;
  }

  private memberRow(c: Competition, m: Member, live: boolean): HTMLElement {
    const marks: string[] = [t(`hr.role.${m.role}`)];
    if (m.proposed) marks.push(t("hr.commission.by_system"));
    if (m.extra) marks.push(t("hr.commission.extra"));
    if (m.confirmed) marks.push(t("hr.commission.confirmed", { time: kzTime(m.confirmed) }));
    const li = h("li", { "data-account": m.account, class: m.removed ? "removed" : undefined }, h("strong", {}, this.username(m.account)), " · ", marks.join(" · "));
    if (m.removed) {
      li.append(h("p", { class: "meta" }, t("hr.commission.removed", { time: kzTime(m.removed), grounds: m.grounds ? t(`hr.grounds.${m.grounds}`) : "—", reason: m.reason ?? "" })));
      return li;
    }
    if (!live) return li;
    const g = h("select", { "aria-label": t("hr.commission.grounds") }, h("option", { value: "" }, t("hr.commission.no_grounds")), ...grounds.map((x) => h("option", { value: x }, t(`hr.grounds.${x}`))));
    const reason = h("input", { type: "text", "aria-label": t("hr.commission.reason"), placeholder: t("hr.commission.reason"), maxlength: 1000 });
    const f = h("form", { class: "inline remove" }, g, reason, h("button", { type: "submit", class: "danger" }, t("hr.commission.remove")));
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.act(api("POST", `/api/competitions/${enc(c.id)}/commission/${enc(m.account)}/remove`, { grounds: g.value, reason: reason.value }), t("hr.commission.removed_done"));
    });
    li.append(f);
    return li;
  }

  private historySection(c: Competition): HTMLElement {
    return h("details", { class: "panel", id: "history" }, h("summary", {}, t("hr.history.title")),
      h("ol", {}, ...c.history.map((x) => h("li", {}, h("time", { datetime: x.time }, kzTime(x.time)), " ", x.from ? `${statusText(x.from)} → ` : "", statusText(x.to), " · ", x.actor, x.why ? ` · ${x.why}` : ""))));
  }
}

declare global {
  interface Window {
    kuzetHR?: HR;
  }
}

function showLogin(reason = ""): void {
  document.title = t("hr.title");
  root.replaceChildren(header(null), h("main", {}, loginForm<Me>(t("hr.login.title"), (me) => show(me), reason)));
  document.getElementById("username")?.focus();
}

function show(me: Me): void {
  if (me.role !== "hr" && me.role !== "admin") {
    root.replaceChildren(header(me), h("main", {}, h("p", { class: "error", role: "alert" }, t("hr.not_hr", { role: me.role })), h("a", { href: "/" }, t("hr.link.dashboard"))));
    return;
  }
  const app = new HR(me);
  window.kuzetHR = app;
  void app.start();
}

void startStaffPage<Me>(show, showLogin);
