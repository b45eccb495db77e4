// The candidate's inbox (issue 11), the cabinet opened with the cabinet
// token of an application (cabinet.html#inbox=TOKEN, the link given on
// applying): the application's status and PIN, what HR found missing and
// until when it may be added (once, p.73), the documents with an upload,
// the notices (the server renders each in kk, ru and en; the page's
// language is picked) and the join links of the stages.

import "./hr.css";
import { ApiError, request, requestBlob } from "./api";
import { h } from "./dom";
import { lang, onLangChange, t } from "./i18n";
import { langSwitch } from "./lang-switch";
import { EssayWriter } from "./essay";
import { TestTaker } from "./test-stage";
import { docKinds, kzDate, kzDeadline, kzTime, nameIn, refusal, testKinds, type Inbox } from "./workflow-types";

const tokenKey = "kuzet.inbox.token";

export class InboxPage {
  private inbox: Inbox | null = null;
  private error: HTMLElement | null = null;
  private note = "";
  private essay: EssayWriter | null = null;
  private tests = new Map<string, TestTaker>();

  constructor(
    private readonly root: HTMLElement,
    private readonly token: string,
  ) {
    onLangChange(() => this.render());
  }

  async load(): Promise<void> {
    try {
      this.inbox = await this.call<Inbox>("GET", "/api/cabinet/inbox");
      this.error = null;
      sessionStorage.setItem(tokenKey, this.token);
    } catch (err) {
      this.inbox = null;
      this.error = refusal(err);
      if (err instanceof ApiError && err.status === 401) sessionStorage.removeItem(tokenKey);
    }
    this.render();
  }

  private async call<T>(method: string, path: string, body?: BodyInit, type?: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (type) headers["Content-Type"] = type;
    return request<T>(path, { method, headers, body: body ?? null, credentials: "omit" });
  }

  /** A file of the cabinet (a picture of a question, the p.14 certificate), fetched with the token. */
  private async file(path: string): Promise<Blob> {
    return requestBlob(path, { headers: { Authorization: `Bearer ${this.token}` }, credentials: "omit" });
  }

  private render(): void {
    document.title = t("inbox.title");
    const main = h("main", { class: "cabinet inbox" });
    const ib = this.inbox;
    if (!ib) {
      main.append(h("h2", {}, t("inbox.title")), this.error ?? h("p", {}, t("inbox.loading")));
    } else {
      main.append(this.summary(ib));
      if (ib.join.length) main.append(this.joins(ib));
      for (const sec of this.testSections(ib)) main.append(sec);
      const essay = this.essaySection(ib);
      if (essay) main.append(essay);
      main.append(this.documents(ib), this.notices(ib));
    }
    this.root.replaceChildren(h("header", { class: "top" }, h("h1", {}, t("inbox.title")), langSwitch()), main);
  }

  private summary(ib: Inbox): HTMLElement {
    const a = ib.application;
    const c = ib.competition;
    const sec = h("section", { id: "application", "aria-labelledby": "inbox-position" },
      h("h2", { id: "inbox-position" }, c.position),
      h("p", { class: "meta" }, t("inbox.competition", { body: nameIn(c.body_name, c.body), opens: kzDate(c.opens), deadline: kzDate(c.deadline) })),
      h("p", { id: "inbox-status", class: `app-st-${a.status}`, "data-status": a.status }, t("inbox.status", { status: t(`hr.app.status.${a.status}`) })));
    if (a.pin) sec.append(h("p", { id: "inbox-pin" }, t("cabinet.pin", { pin: a.pin })));
    if (a.missing?.length) sec.append(h("p", { class: "missing" }, t("inbox.missing", { missing: a.missing.join("; ") })));
    if (a.reason) sec.append(h("p", { class: "reason" }, t("inbox.reason", { reason: a.reason })));
    if (a.status === "incomplete") {
      if (a.supplement_due) sec.append(h("p", { class: "due", id: "supplement-due" }, t("inbox.supplement_due", { due: kzDeadline(a.supplement_due) })));
      const msg = h("div", { class: "refusal-slot" });
      const b = h("button", { type: "button", id: "supplement" }, t("inbox.supplement"));
      b.addEventListener("click", () => {
        this.call<{ status: string }>("POST", "/api/cabinet/supplement")
          .then(async () => {
            this.note = t("inbox.supplemented");
            await this.load();
          })
          .catch((err: unknown) => msg.replaceChildren(refusal(err)));
      });
      sec.append(h("p", { class: "hint" }, t("inbox.supplement_hint")), b, msg);
    }
    if (this.note) sec.append(h("p", { class: "ok", role: "status" }, this.note));
    return sec;
  }

  private documents(ib: Inbox): HTMLElement {
    const a = ib.application;
    const sec = h("section", { id: "documents", "aria-labelledby": "documents-title" }, h("h2", { id: "documents-title" }, t("hr.apps.documents")));
    if (a.documents.length) {
      sec.append(h("ul", { class: "docs" }, ...a.documents.map((d) => h("li", { "data-kind": d.kind }, t(`hr.doc.${d.kind}`), " ", h("span", { class: "meta" }, `${d.type} · ${kzTime(d.added)}`)))));
    } else {
      sec.append(h("p", { class: "empty" }, t("hr.apps.no_documents")));
    }
    if (a.lacking.length) sec.append(h("p", { class: "lacking" }, t("hr.apps.lacking", { docs: a.lacking.map((k) => t(`hr.doc.${k}`)).join(", ") })));
    // Documents can be added while the package is open: before HR decides,
    // or during the one working day to complete it.
    if (a.status !== "submitted" && a.status !== "incomplete") return sec;
    const kind = h("select", { id: "doc-kind" }, ...docKinds.map((k) => h("option", { value: k, selected: a.lacking[0] === k }, t(`hr.doc.${k}`))));
    const file = h("input", { id: "doc-file", type: "file", accept: "application/pdf,image/jpeg,image/png", required: true });
    const msg = h("div", { class: "refusal-slot" });
    const form = h("form", { id: "upload-form" },
      h("label", { for: "doc-kind" }, t("inbox.upload.kind")), kind,
      h("label", { for: "doc-file" }, t("inbox.upload.file")), file,
      h("p", { class: "hint" }, t("inbox.upload.hint")),
      h("button", { type: "submit" }, t("inbox.upload.submit")), msg);
    form.addEventListener("submit", (ev: SubmitEvent) => {
      ev.preventDefault();
      const f = file.files?.[0];
      if (!f) {
        msg.replaceChildren(h("p", { class: "error", role: "alert" }, t("inbox.upload.pick")));
        return;
      }
      this.call("POST", `/api/cabinet/documents?kind=${encodeURIComponent(kind.value)}`, f, f.type || "application/octet-stream")
        .then(async () => {
          this.note = t("inbox.upload.done", { kind: t(`hr.doc.${kind.value}`) });
          await this.load();
        })
        .catch((err: unknown) => msg.replaceChildren(refusal(err)));
    });
    sec.append(form);
    return sec;
  }

  private notices(ib: Inbox): HTMLElement {
    const sec = h("section", { id: "notices", "aria-labelledby": "notices-title" }, h("h2", { id: "notices-title" }, t("inbox.notices")));
    if (!ib.notifications.length) {
      sec.append(h("p", { class: "empty" }, t("inbox.no_notices")));
      return sec;
    }
    const newest = [...ib.notifications].sort((x, y) => y.time.localeCompare(x.time));
    sec.append(h("ul", { class: "notices" }, ...newest.map((n) =>
      h("li", { class: "notice", "data-key": n.key }, h("time", { datetime: n.time }, kzTime(n.time)), h("p", { class: "notice-text" }, n.text[lang()] ?? n.text.ru ?? n.key)))));
    return sec;
  }

  /** The test stages (Annex 3) whose sittings are open for this candidate. */
  private testSections(ib: Inbox): HTMLElement[] {
    if (ib.application.status !== "admitted") return [];
    const out: HTMLElement[] = [];
    for (const j of ib.join) {
      if (!testKinds.includes(j.stage)) continue;
      let tt = this.tests.get(j.stage);
      if (!tt) {
        tt = new TestTaker(
          j.stage,
          `test:${ib.application.id}:${j.stage}`,
          <T>(method: string, path: string, body?: unknown) =>
            this.call<T>(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : "application/json"),
          (path: string) => this.file(path),
        );
        this.tests.set(j.stage, tt);
        void tt.load();
      }
      out.push(tt.el);
    }
    return out;
  }

  /** The essay (p.115), once its sitting is open for this admitted candidate. */
  private essaySection(ib: Inbox): HTMLElement | null {
    if (ib.application.status !== "admitted" || !ib.join.some((j) => j.stage === "essay")) return null;
    if (!this.essay) {
      this.essay = new EssayWriter(`essay:${ib.application.id}`, <T>(method: string, path: string, body?: unknown) =>
        this.call<T>(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : "application/json"));
      void this.essay.start();
    }
    return this.essay.el;
  }

  private joins(ib: Inbox): HTMLElement {
    return h("section", { id: "join", "aria-labelledby": "join-title" }, h("h2", { id: "join-title" }, t("inbox.join")),
      h("ul", {}, ...ib.join.map((j) => h("li", {}, h("a", { href: j.link, "data-stage": j.stage }, t("inbox.join_stage", { stage: t(`hr.stage.${j.stage}`) }))))));
  }
}

/** The inbox token of the link's fragment, or of this tab's earlier visit. */
export function inboxToken(frag: URLSearchParams): string {
  return frag.get("inbox") ?? sessionStorage.getItem(tokenKey) ?? "";
}
