// The candidate's essay (p.115) in the cabinet: the text is written under
// the running agent, with the word count and the limit shown and the time
// left on the server's clock. Nothing typed is lost: every change is
// first kept in this browser's IndexedDB with a growing revision, then
// sent to the server, which stores it idempotently and acknowledges the
// revision it holds; what is not acknowledged yet is sent again after a
// reload, a crash or when the network comes back. At the end of the time
// the server submits what it holds.

import { ApiError } from "./api";
import { h } from "./dom";
import { onLangChange, t } from "./i18n";
import { idbGet, idbPut } from "./idb";
import { kzTime, refusal } from "./workflow-types";

export interface EssayState {
  text: string;
  words: number;
  limit: number;
  revision: number;
  saved?: string;
  submitted?: string;
  sha256?: string;
  starts?: string;
  ends?: string;
  now: string;
}

/** What this browser keeps of the essay: the newest text and its revision. */
interface Local {
  text: string;
  revision: number;
}

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;

const words = (s: string): number => (s.trim() === "" ? 0 : s.trim().split(/\s+/u).length);

export class EssayWriter {
  readonly el = h("section", { id: "essay", "aria-labelledby": "essay-title" });
  private state: EssayState | null = null;
  private local: Local = { text: "", revision: 0 };
  private acked = 0;
  private sending = false;
  private timer: number | undefined;
  private clock: number | undefined;
  private skew = 0; // server time minus this computer's
  private readonly area = h("textarea", { id: "essay-text", rows: 14, "aria-describedby": "essay-count essay-status" }) as HTMLTextAreaElement;
  private readonly count = h("p", { id: "essay-count", class: "meta" });
  private readonly status = h("p", { id: "essay-status", role: "status", "data-state": "idle" });
  private readonly left = h("p", { id: "essay-left", class: "meta" });
  private readonly msg = h("div", { class: "refusal-slot" });

  constructor(
    private readonly key: string,
    private readonly call: Call,
  ) {
    this.area.addEventListener("input", () => void this.changed());
    window.addEventListener("online", () => void this.flush());
    onLangChange(() => this.render());
  }

  async start(): Promise<void> {
    try {
      this.state = await this.call<EssayState>("GET", "/api/cabinet/essay");
    } catch (err) {
      this.el.replaceChildren(h("h2", { id: "essay-title" }, t("essay.title")), refusal(err));
      return;
    }
    this.skew = Date.parse(this.state.now) - Date.now();
    this.acked = this.state.revision;
    const kept = await idbGet<Local>(this.key).catch(() => undefined);
    // A draft this browser kept that the server has not acknowledged wins:
    // it is newer than anything the server holds.
    if (kept && kept.revision > this.state.revision && !this.state.submitted) {
      this.local = kept;
    } else {
      this.local = { text: this.state.text, revision: this.state.revision };
    }
    this.area.value = this.local.text;
    this.render();
    if (this.local.revision > this.acked) void this.flush();
    this.clock = window.setInterval(() => this.tickClock(), 1000);
  }

  private render(): void {
    const s = this.state;
    if (!s) return;
    const title = h("h2", { id: "essay-title" }, t("essay.title"));
    if (s.submitted) {
      window.clearInterval(this.clock);
      this.el.replaceChildren(title,
        h("p", { id: "essay-submitted", class: "ok" }, t("essay.submitted", { time: kzTime(s.submitted), words: String(s.words) })),
        h("p", { class: "meta" }, t("essay.hash", { hash: s.sha256 ?? "" })),
        h("pre", { class: "essay-final" }, s.text));
      return;
    }
    const submit = h("button", { type: "button", id: "essay-submit" }, t("essay.submit"));
    submit.addEventListener("click", () => void this.submit());
    this.el.replaceChildren(title, h("p", { class: "hint" }, t("essay.hint", { limit: String(s.limit) })),
      h("label", { for: "essay-text" }, t("essay.label")), this.area, this.count, this.left, this.status, submit, this.msg);
    this.updateCount();
    this.tickClock();
  }

  private updateCount(): void {
    const n = words(this.area.value);
    const limit = this.state?.limit ?? 250;
    this.count.textContent = t("essay.count", { words: String(n), limit: String(limit) });
    this.count.classList.toggle("over", n > limit);
  }

  private tickClock(): void {
    const ends = this.state?.ends;
    if (!ends) return;
    const ms = Date.parse(ends) - (Date.now() + this.skew);
    if (ms <= 0) {
      this.left.textContent = t("essay.time_up");
      return;
    }
    const m = Math.floor(ms / 60000);
    const s = Math.floor((ms % 60000) / 1000);
    this.left.textContent = t("essay.left", { time: `${m}:${String(s).padStart(2, "0")}`, ends: kzTime(ends) });
  }

  private setStatus(state: "saving" | "saved" | "kept" | "refused", text: string): void {
    this.status.dataset["state"] = state;
    this.status.textContent = text;
  }

  private async changed(): Promise<void> {
    this.local = { text: this.area.value, revision: this.local.revision + 1 };
    this.updateCount();
    try {
      await idbPut(this.key, this.local);
    } catch {
      // Without IndexedDB the text still goes to the server at once.
    }
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.flush(), 400);
  }

  /** Sends the newest local revision until the server acknowledges it. */
  private async flush(): Promise<void> {
    if (this.sending || this.local.revision <= this.acked || this.state?.submitted) return;
    this.sending = true;
    const sent = { ...this.local };
    this.setStatus("saving", t("essay.saving"));
    try {
      const s = await this.call<EssayState>("PUT", "/api/cabinet/essay", { text: sent.text, revision: sent.revision });
      this.state = { ...s };
      this.acked = Math.max(this.acked, s.revision);
      this.msg.replaceChildren();
      this.setStatus("saved", t("essay.saved", { time: kzTime(s.saved ?? s.now), revision: String(s.revision) }));
    } catch (err) {
      if (err instanceof ApiError) {
        // Refused (the agent is not running, the time ended): say why; the
        // text stays in this browser.
        this.setStatus("refused", t("essay.kept"));
        this.msg.replaceChildren(refusal(err));
      } else {
        this.setStatus("kept", t("essay.offline"));
      }
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => void this.flush(), 3000);
    } finally {
      this.sending = false;
    }
    if (this.local.revision > this.acked && this.status.dataset["state"] === "saved") void this.flush();
  }

  private async submit(): Promise<void> {
    window.clearTimeout(this.timer);
    // Send the newest text with the submission itself.
    if (this.area.value !== this.local.text) await this.changed();
    try {
      const s = await this.call<EssayState>("POST", "/api/cabinet/essay/submit", { text: this.local.text, revision: this.local.revision });
      this.state = s;
      this.acked = s.revision;
      this.render();
    } catch (err) {
      this.msg.replaceChildren(refusal(err));
    }
  }
}
