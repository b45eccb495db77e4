// The commission's grading page (p.115, p.74-1): a member or assessor sees
// the released essays assigned to them, by PIN only, reads one with the
// Annex 3 descriptors beside the 0-5 scale, and grades it with a
// signature. The signing key is made in this browser with WebCrypto
// (Ed25519), its private half never leaves it (kept in IndexedDB as a
// non-extractable CryptoKey); the public half is registered with the
// server, which verifies every grade before it accepts it. A member
// cannot decline: there is no such button, as p.115 says.

import "./style.css";
import "./hr.css";
import { api } from "./api";
import { h } from "./dom";
import { onLangChange, t } from "./i18n";
import { langSwitch } from "./lang-switch";
import { loginForm, startStaffPage } from "./login";
import type { Me } from "./focus";
import { idbGet, idbPut } from "./idb";
import { kzDeadline, refusal } from "./workflow-types";

const root = document.getElementById("app") as HTMLElement;
const enc = encodeURIComponent;

interface GraderEssay {
  competition: string;
  application: string;
  pin: string;
  text: string;
  words: number;
  released: string;
  due: string;
  mine?: { score: number; time: string; key: string };
  graded: number;
  graders: number;
}

interface MemberInterview {
  competition: string;
  position: string;
  starts: string;
  ends: string;
  done?: string;
  finalists: Array<{ application: string; pin: string; rank: number; mine?: number; scored: number }>;
}

interface KeyView {
  format: string;
  fingerprint: string;
  registered: string;
}

interface Payload {
  payload: string;
  issued: string;
  nonce: string;
}

function b64(buf: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

async function sha256Hex(buf: ArrayBuffer): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", buf);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The member's signing key in this browser, registered with the server. */
class Signer {
  private pair: CryptoKeyPair | undefined;
  fingerprint = "";

  constructor(private readonly account: string) {}

  private get idbKey(): string {
    return `signing-key:${this.account}`;
  }

  /** Loads the key kept in this browser; true when the server has the same one. */
  async load(): Promise<boolean> {
    this.pair = await idbGet<CryptoKeyPair>(this.idbKey).catch(() => undefined);
    if (!this.pair) return false;
    const raw = await crypto.subtle.exportKey("raw", this.pair.publicKey);
    this.fingerprint = await sha256Hex(raw);
    try {
      const k = await api<KeyView>("GET", "/api/me/signing-key");
      return k.fingerprint === this.fingerprint;
    } catch {
      return false;
    }
  }

  /** Makes a new key pair and registers its public half. */
  async create(): Promise<void> {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const spki = await crypto.subtle.exportKey("spki", pair.publicKey);
    const k = await api<KeyView>("POST", "/api/me/signing-key", { format: "spki", key: b64(spki) });
    await idbPut(this.idbKey, pair);
    this.pair = pair;
    this.fingerprint = k.fingerprint;
  }

  async sign(payload: string): Promise<string> {
    if (!this.pair) throw new Error(t("grading.no_key"));
    const sig = await crypto.subtle.sign({ name: "Ed25519" }, this.pair.privateKey, new TextEncoder().encode(payload));
    return b64(sig);
  }
}

class Grading {
  private essays: GraderEssay[] = [];
  private interviews: MemberInterview[] = [];
  private open: GraderEssay | null = null;
  private ready = false;
  private readonly signer: Signer;
  private readonly msg = h("div", { class: "refusal-slot" });
  private note = "";

  constructor(private readonly me: Me & { id?: string }) {
    this.signer = new Signer(me.username);
    onLangChange(() => this.render());
  }

  async start(): Promise<void> {
    this.ready = await this.signer.load();
    await this.reload();
  }

  private async reload(): Promise<void> {
    try {
      this.essays = await api<GraderEssay[]>("GET", "/api/grading/essays");
      this.interviews = await api<MemberInterview[]>("GET", "/api/grading/interviews");
      if (this.open) this.open = this.essays.find((e) => e.application === this.open?.application) ?? null;
    } catch (err) {
      this.msg.replaceChildren(refusal(err));
    }
    this.render();
  }

  private render(): void {
    document.title = t("grading.title");
    const main = h("main", { class: "grading" });
    main.append(this.keySection());
    main.append(this.listSection());
    if (this.open) main.append(this.essaySection(this.open));
    if (this.interviews.length) main.append(this.interviewSection());
    if (this.note) main.append(h("p", { class: "ok", role: "status", id: "grading-note" }, this.note));
    main.append(this.msg);
    root.replaceChildren(header(this.me), main);
  }

  private keySection(): HTMLElement {
    const sec = h("section", { id: "signing-key", "aria-labelledby": "key-title" }, h("h2", { id: "key-title" }, t("grading.key.title")));
    if (this.ready) {
      sec.append(h("p", { id: "key-ready" }, t("grading.key.ready", { fingerprint: this.signer.fingerprint.slice(0, 16) })));
      return sec;
    }
    const b = h("button", { type: "button", id: "create-key" }, t("grading.key.create"));
    b.addEventListener("click", () => {
      this.signer
        .create()
        .then(() => {
          this.ready = true;
          this.note = t("grading.key.created");
          this.render();
        })
        .catch((err: unknown) => this.msg.replaceChildren(refusal(err)));
    });
    sec.append(h("p", { class: "hint" }, t("grading.key.hint")), b);
    return sec;
  }

  private listSection(): HTMLElement {
    const sec = h("section", { id: "essays", "aria-labelledby": "essays-title" }, h("h2", { id: "essays-title" }, t("grading.essays")));
    if (!this.essays.length) {
      sec.append(h("p", { class: "empty" }, t("grading.none")));
      return sec;
    }
    sec.append(h("ul", { class: "essay-list" }, ...this.essays.map((e) => {
      const b = h("button", { type: "button", "data-pin": e.pin }, t("grading.open", { pin: e.pin }));
      b.addEventListener("click", () => {
        this.open = e;
        this.render();
      });
      const state = e.mine ? t("grading.mine", { score: String(e.mine.score) }) : t("grading.due", { due: kzDeadline(e.due) });
      return h("li", { "data-application": e.application }, b, " ", h("span", { class: e.mine ? "meta" : "due" }, state));
    })));
    return sec;
  }

  private essaySection(e: GraderEssay): HTMLElement {
    const sec = h("section", { id: "essay-grade", "aria-labelledby": "grade-title" },
      h("h2", { id: "grade-title" }, t("grading.essay_of", { pin: e.pin })),
      h("p", { class: "meta" }, t("grading.words", { words: String(e.words), graded: String(e.graded), graders: String(e.graders) })),
      h("pre", { class: "essay-text", id: "grade-text" }, e.text));
    if (e.mine) {
      sec.append(h("p", { class: "ok", id: "grade-mine" }, t("grading.mine", { score: String(e.mine.score) })));
      return sec;
    }
    const scale = h("fieldset", { id: "scale" }, h("legend", {}, t("grading.scale")),
      ...[0, 1, 2, 3, 4, 5].map((n) =>
        h("label", { class: "score-option" }, h("input", { type: "radio", name: "score", value: String(n), id: `score-${n}` }), ` ${n} — ${t(`grading.annex3.${n}`)}`)));
    const b = h("button", { type: "button", id: "sign-grade", disabled: !this.ready }, t("grading.sign"));
    b.addEventListener("click", () => void this.grade(e, scale));
    sec.append(scale, b);
    if (!this.ready) sec.append(h("p", { class: "hint" }, t("grading.no_key")));
    return sec;
  }

  /** p.130: each member scores each finalist 0-3, individually, signed. */
  private interviewSection(): HTMLElement {
    const sec = h("section", { id: "interviews", "aria-labelledby": "interviews-title" }, h("h2", { id: "interviews-title" }, t("grading.interviews")));
    for (const iv of this.interviews) {
      sec.append(h("h3", {}, t("grading.interview_of", { position: iv.position, starts: kzDeadline(iv.starts) })));
      const list = h("ul", { class: "finalists" });
      for (const f of iv.finalists) {
        const li = h("li", { "data-pin": f.pin }, h("strong", {}, t("grading.finalist", { rank: String(f.rank), pin: f.pin })), " ");
        if (f.mine !== undefined) {
          li.append(h("span", { class: "ok" }, t("grading.mine", { score: String(f.mine) })));
        } else if (!iv.done) {
          const name = `iv-${iv.competition}-${f.application}`;
          const scale = h("fieldset", { class: "iv-scale" }, h("legend", {}, t("grading.iv_scale")),
            ...[0, 1, 2, 3].map((n) => h("label", { class: "score-option" }, h("input", { type: "radio", name, value: String(n) }), ` ${n} — ${t(`grading.iv.${n}`)}`)));
          const b = h("button", { type: "button", disabled: !this.ready }, t("grading.sign"));
          b.addEventListener("click", () => void this.scoreInterview(iv, f.application, f.pin, scale));
          li.append(scale, b);
        }
        list.append(li);
      }
      sec.append(list);
    }
    return sec;
  }

  private async scoreInterview(iv: MemberInterview, app: string, pin: string, scale: HTMLElement): Promise<void> {
    const picked = scale.querySelector<HTMLInputElement>("input:checked");
    if (!picked) {
      this.msg.replaceChildren(h("p", { class: "error", role: "alert" }, t("grading.pick")));
      return;
    }
    const score = Number(picked.value);
    const base = `/api/competitions/${enc(iv.competition)}/interview/${enc(app)}`;
    try {
      const p = await api<Payload>("POST", `${base}/payload`, { score });
      const signature = await this.signer.sign(p.payload);
      await api("POST", `${base}/score`, { score, issued: p.issued, nonce: p.nonce, format: "ed25519", signature });
      this.note = t("grading.iv_done", { pin, score: String(score) });
      this.msg.replaceChildren();
      await this.reload();
    } catch (err) {
      this.msg.replaceChildren(refusal(err));
    }
  }

  private async grade(e: GraderEssay, scale: HTMLElement): Promise<void> {
    const picked = scale.querySelector<HTMLInputElement>("input[name=score]:checked");
    if (!picked) {
      this.msg.replaceChildren(h("p", { class: "error", role: "alert" }, t("grading.pick")));
      return;
    }
    const score = Number(picked.value);
    try {
      const p = await api<Payload>("POST", `/api/grading/essays/${enc(e.application)}/payload`, { score });
      const signature = await this.signer.sign(p.payload);
      await api("POST", `/api/grading/essays/${enc(e.application)}/grade`, { score, issued: p.issued, nonce: p.nonce, format: "ed25519", signature });
      this.note = t("grading.done", { pin: e.pin, score: String(score) });
      this.msg.replaceChildren();
      await this.reload();
    } catch (err) {
      this.msg.replaceChildren(refusal(err));
    }
  }
}

function header(me: Me | null): HTMLElement {
  const right = h("div", { class: "who" });
  if (me) {
    const out = h("button", { type: "button", id: "logout" }, t("ui.logout"));
    out.addEventListener("click", () => {
      void api("POST", "/api/logout", {}).finally(() => location.reload());
    });
    right.append(h("span", { class: "user" }, t("ui.signed_in_as", { user: me.username, role: me.role })), " ", out);
  }
  return h("header", { class: "top" }, h("h1", {}, t("grading.title")), langSwitch(), right);
}

function show(me: Me): void {
  if (me.role !== "commission" && me.role !== "assessor") {
    root.replaceChildren(header(me), h("main", {}, h("p", { class: "error", role: "alert" }, t("grading.not_member", { role: me.role })), h("a", { href: "/" }, t("hr.link.dashboard"))));
    return;
  }
  void new Grading(me).start();
}

function showLogin(reason = ""): void {
  document.title = t("grading.title");
  root.replaceChildren(header(null), h("main", {}, loginForm<Me>(t("grading.login"), (me) => show(me), reason)));
}

void startStaffPage<Me>(show, showLogin);
