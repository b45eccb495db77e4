// A test stage in the cabinet (personal qualities, textual and numerical
// information; Annex 3): the candidate starts it under the running agent
// (rule 10), answers the questions of the variant the server drew for
// them, and submits; the time limit runs on the server's clock and at the
// end the server submits what it holds. No answer is lost: each change is
// kept in this browser's IndexedDB with a growing revision before it is
// sent, the server stores it idempotently and acknowledges the revision,
// and whatever is not acknowledged is sent again after a reload, a crash
// or when the network is back. Every interaction the server scores is
// answered here (issue 12): choices, inline choices, typed answers, an
// order (up/down buttons) and a match (a target for each source), and a
// question's pictures are fetched with the cabinet token and shown.

import { ApiError } from "./api";
import { h } from "./dom";
import { lang, onLangChange, t } from "./i18n";
import { idbGet, idbPut } from "./idb";
import { kzTime, refusal } from "./workflow-types";
import { matchBox, orderBox, type Choice, type Save } from "./interactions";
import "./interactions.css";

interface Picture {
  src: string;
  alt: string;
}

interface Question {
  number: number;
  section: string;
  item: string;
  text: string;
  prompt: string;
  interaction: string;
  cardinality: string;
  max_choices: number;
  choices: Choice[];
  targets: Choice[];
  images: Picture[];
}

interface Answer {
  item: string;
  response: string[];
  revision: number;
  saved?: string;
}

interface TestView {
  stage: string;
  program: string;
  title: { kk: string; ru: string; en: string };
  started: string;
  deadline: string;
  now: string;
  questions: Question[];
  answers: Answer[];
  submitted?: string;
  auto: boolean;
  score?: string;
  correct?: number;
  /** For a program with pass values (the legislation test, p.14). */
  passed?: boolean;
  certificate?: { retest_from: string; pin: string; test_date: string };
}

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;
/** Fetches a file of the cabinet with its token (a picture of a question). */
type Fetch = (path: string) => Promise<Blob>;

/** What this browser keeps: each item's newest response and revision. */
type Local = Record<string, { response: string[]; revision: number }>;

export class TestTaker {
  readonly el: HTMLElement;
  private view: TestView | null = null;
  private local: Local = {};
  private acked: Record<string, number> = {};
  private sending = new Set<string>();
  private retry: number | undefined;
  private clock: number | undefined;
  private skew = 0;
  private readonly status = h("p", { class: "test-status", role: "status", "data-state": "idle" });
  private readonly left = h("p", { class: "meta test-left" });
  private readonly msg = h("div", { class: "refusal-slot" });
  /** The pictures fetched, as object URLs by their src: fetched once. */
  private readonly pictures = new Map<string, Promise<string>>();

  constructor(
    private readonly kind: string,
    private readonly key: string,
    private readonly call: Call,
    private readonly fetchFile: Fetch,
  ) {
    this.el = h("section", { id: `test-${kind}`, class: "test-stage", "aria-labelledby": `test-${kind}-title` });
    window.addEventListener("online", () => void this.flushAll());
    onLangChange(() => this.render());
  }

  private get base(): string {
    return `/api/cabinet/tests/${encodeURIComponent(this.kind)}`;
  }

  async load(): Promise<void> {
    this.local = (await idbGet<Local>(this.key).catch(() => undefined)) ?? {};
    try {
      this.setView(await this.call<TestView>("GET", this.base));
    } catch (err) {
      this.view = null;
      // Not started yet: the page offers to start; other refusals say why.
      if (!(err instanceof ApiError && err.key === "workflow.err.test_not_begun")) this.msg.replaceChildren(refusal(err));
    }
    this.render();
    this.flushAll();
    this.showSaved();
  }

  /** Says how many answers the server holds once none is waiting. */
  private showSaved(): void {
    const pending = Object.keys(this.local).filter((k) => (this.local[k]?.revision ?? 0) > (this.acked[k] ?? 0)).length;
    const held = Object.keys(this.acked).length;
    if (pending === 0 && held > 0) this.setStatus("saved", t("test.saved", { n: String(held) }));
  }

  private setView(v: TestView): void {
    this.view = v;
    this.skew = Date.parse(v.now) - Date.now();
    for (const a of v.answers) {
      this.acked[a.item] = Math.max(this.acked[a.item] ?? 0, a.revision);
      const mine = this.local[a.item];
      // The server's answer stands unless this browser holds a newer one.
      if (!mine || mine.revision <= a.revision) this.local[a.item] = { response: a.response, revision: a.revision };
    }
  }

  private title(): string {
    const v = this.view;
    if (!v) return t(`hr.stage.${this.kind}`);
    const l = lang();
    return v.title[l] || v.title.ru;
  }

  private render(): void {
    window.clearInterval(this.clock);
    const head = h("h2", { id: `test-${this.kind}-title` }, this.title());
    const v = this.view;
    if (!v) {
      const b = h("button", { type: "button", class: "test-start" }, t("test.start"));
      b.addEventListener("click", () => {
        this.call<TestView>("POST", `${this.base}/start`)
          .then((view) => {
            this.msg.replaceChildren();
            this.setView(view);
            this.render();
          })
          .catch((err: unknown) => this.msg.replaceChildren(refusal(err)));
      });
      this.el.replaceChildren(head, h("p", { class: "hint" }, t("test.hint")), b, this.msg);
      return;
    }
    if (v.submitted) {
      this.el.replaceChildren(head, ...this.outcome(v, v.submitted));
      return;
    }
    const list = h("ol", { class: "questions" }, ...v.questions.map((q) => this.question(q)));
    const submit = h("button", { type: "button", class: "test-submit" }, t("test.submit"));
    submit.addEventListener("click", () => void this.submit());
    this.el.replaceChildren(head, this.left, list, this.status, submit, this.msg);
    this.tick();
    this.clock = window.setInterval(() => this.tick(), 1000);
  }

  /** What the candidate sees once submitted: the Annex 3 score, or the
   * legislation test's pass or below-pass with its certificate (p.14). */
  private outcome(v: TestView, submitted: string): HTMLElement[] {
    if (v.passed === undefined) {
      return [h("p", { class: "ok test-submitted" }, t(v.auto ? "test.submitted_auto" : "test.submitted", { time: kzTime(submitted), score: v.score ?? "—" }))];
    }
    const args = { time: kzTime(submitted), correct: String(v.correct ?? 0), questions: String(v.questions.length), from: v.certificate?.retest_from ?? "" };
    if (v.passed) return [h("p", { class: "ok test-submitted", "data-result": "passed" }, t("test.legislation_passed", args))];
    const out: HTMLElement[] = [h("p", { class: "error test-submitted", role: "status", "data-result": "below_pass" }, t("test.legislation_below", args))];
    if (v.certificate) {
      const b = h("button", { type: "button", class: "test-certificate" }, t("test.certificate"));
      b.addEventListener("click", () => {
        this.fetchFile(`/api/cabinet/certificate.pdf?lang=${lang()}`)
          .then((blob) => {
            const a = h("a", { href: URL.createObjectURL(blob), download: `certificate-${v.certificate?.pin ?? ""}.pdf` });
            document.body.append(a);
            a.click();
            a.remove();
            window.setTimeout(() => URL.revokeObjectURL(a.href), 60000);
          })
          .catch((err: unknown) => this.msg.replaceChildren(refusal(err)));
      });
      out.push(b, this.msg);
    }
    return out;
  }

  private tick(): void {
    const v = this.view;
    if (!v) return;
    const ms = Date.parse(v.deadline) - (Date.now() + this.skew);
    if (ms <= 0) {
      this.left.textContent = t("test.time_up");
      return;
    }
    const m = Math.floor(ms / 60000);
    const s = Math.floor((ms % 60000) / 1000);
    this.left.textContent = t("test.left", { time: `${m}:${String(s).padStart(2, "0")}`, ends: kzTime(v.deadline) });
  }

  private question(q: Question): HTMLElement {
    const li = h("li", { class: "question", "data-item": q.item, "data-number": String(q.number), "data-interaction": q.interaction }, h("p", { class: "q-text" }, q.text));
    if (q.images.length) li.append(h("div", { class: "q-images" }, ...q.images.map((p) => this.picture(p))));
    if (q.prompt) li.append(h("p", { class: "hint" }, q.prompt));
    const have = this.local[q.item]?.response ?? [];
    const name = `q-${this.kind}-${q.item}`;
    const save: Save = (response) => void this.answer(q.item, response);
    switch (q.interaction) {
      case "choiceInteraction": {
        const multiple = q.cardinality === "multiple";
        for (const c of q.choices) {
          const input = h("input", { type: multiple ? "checkbox" : "radio", name, value: c.id, checked: have.includes(c.id) });
          input.addEventListener("change", () => {
            const picked = [...li.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((x) => x.value);
            void this.answer(q.item, picked);
          });
          li.append(h("label", { class: "choice" }, input, ` ${c.text}`));
        }
        break;
      }
      case "inlineChoiceInteraction": {
        const sel = h("select", { name }, h("option", { value: "" }, "—"), ...q.choices.map((c) => h("option", { value: c.id, selected: have[0] === c.id }, c.text)));
        sel.addEventListener("change", () => void this.answer(q.item, sel.value ? [sel.value] : []));
        li.append(sel);
        break;
      }
      case "textEntryInteraction": {
        const input = h("input", { name, value: have[0] ?? "", autocomplete: "off" });
        input.addEventListener("change", () => void this.answer(q.item, input.value.trim() ? [input.value.trim()] : []));
        li.append(input);
        break;
      }
      case "orderInteraction":
        li.append(orderBox(q.choices, have, save));
        break;
      case "matchInteraction":
        li.append(matchBox(q.choices, q.targets, q.max_choices, have, save));
        break;
      default:
        li.append(h("p", { class: "error" }, t("test.unsupported")));
    }
    return li;
  }

  /** A picture of a question: fetched with the cabinet token (an img
   *  cannot send it), shown from an object URL; its alt says what it is,
   *  and if it cannot be fetched the page says so with the alt. */
  private picture(p: Picture): HTMLElement {
    const img = h("img", { class: "q-image", alt: p.alt });
    let url = this.pictures.get(p.src);
    if (!url) {
      url = this.fetchFile(p.src).then((b) => URL.createObjectURL(b));
      this.pictures.set(p.src, url);
      // A failed fetch is tried again at the next render.
      url.catch(() => this.pictures.delete(p.src));
    }
    url.then(
      (u) => (img.src = u),
      () => img.replaceWith(h("p", { class: "error q-image-failed", role: "alert" }, t("test.image.failed", { alt: p.alt }))),
    );
    return img;
  }

  private async answer(item: string, response: string[]): Promise<void> {
    const revision = (this.local[item]?.revision ?? 0) + 1;
    this.local[item] = { response, revision };
    await idbPut(this.key, this.local).catch(() => undefined);
    void this.flush(item);
  }

  private flushAll(): void {
    for (const item of Object.keys(this.local)) void this.flush(item);
  }

  /** Sends an item's newest answer until the server acknowledges it. */
  private async flush(item: string): Promise<void> {
    const mine = this.local[item];
    if (!this.view || this.view.submitted || !mine || mine.revision <= (this.acked[item] ?? 0) || this.sending.has(item)) return;
    this.sending.add(item);
    this.setStatus("saving", t("test.saving"));
    try {
      const r = await this.call<{ answer: Answer }>("PUT", `${this.base}/answers`, { item, response: mine.response, revision: mine.revision });
      this.acked[item] = Math.max(this.acked[item] ?? 0, r.answer.revision);
      this.msg.replaceChildren();
    } catch (err) {
      if (err instanceof ApiError) this.msg.replaceChildren(refusal(err));
      this.setStatus("kept", t("test.offline"));
      window.clearTimeout(this.retry);
      this.retry = window.setTimeout(() => this.flushAll(), 3000);
      return;
    } finally {
      this.sending.delete(item);
    }
    if ((this.local[item]?.revision ?? 0) > (this.acked[item] ?? 0)) {
      void this.flush(item);
      return;
    }
    this.showSaved();
  }

  private setStatus(state: string, text: string): void {
    this.status.dataset["state"] = state;
    this.status.textContent = text;
  }

  private async submit(): Promise<void> {
    const pending = Object.keys(this.local).filter((k) => (this.local[k]?.revision ?? 0) > (this.acked[k] ?? 0));
    if (pending.length) {
      // Nothing typed stays behind: the answers go first.
      this.msg.replaceChildren(h("p", { class: "error", role: "alert" }, t("test.pending", { n: String(pending.length) })));
      this.flushAll();
      return;
    }
    try {
      this.setView(await this.call<TestView>("POST", `${this.base}/submit`));
      this.render();
    } catch (err) {
      this.msg.replaceChildren(refusal(err));
    }
  }
}
