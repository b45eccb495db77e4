// The focus view of one sitting: camera and screen at full quality, the
// microphone (muted until the proctor unmutes it), the explained risk, the
// pre-check results, the reference photo next to the ID photo (rule 10.1),
// room-scan results (rule 10.7), the timeline with evidence, and every
// action: room scan, message, warning, pause/resume, end, flag review and
// the verdict.

import type { Assessment, Event, FeedRecord, RuleID, SittingSummary, VerdictOutcome } from "./gen/protocol";
import { api, ApiError, evidenceURL } from "./api";
import { h } from "./dom";
import { formatTime } from "./dom";
import { eventText, recordItem, ruleTitle } from "./events";
import { flagsOf, isFlag, rules, stateMark, type FlagView } from "./flags";
import { t } from "./i18n";
import { Watch, type Signal } from "./rtc";
import { formatRisk } from "./tile";

export interface Me {
  username: string;
  role: string;
}

export interface FocusHost extends Signal {
  readonly me: Me;
  recordsOf(id: string): readonly FeedRecord[];
  summaryOf(id: string): SittingSummary | undefined;
  closeFocus(): void;
}

interface Done {
  record: FeedRecord;
  agent: boolean;
}

const imageKinds = new Set(["snapshot", "screenshot", "reference"]);

export class FocusView {
  readonly el: HTMLElement;
  readonly watch: Watch;
  private readonly camera: HTMLVideoElement;
  private readonly screen: HTMLVideoElement;
  private readonly audio: HTMLAudioElement;
  private readonly unmute: HTMLButtonElement;
  private readonly head: HTMLElement;
  private readonly status: HTMLElement;
  private readonly riskBox: HTMLElement;
  private readonly rulesBox: HTMLElement;
  private readonly precheckBox: HTMLElement;
  private readonly identityBox: HTMLElement;
  private readonly roomScanBox: HTMLElement;
  private readonly timeline: HTMLOListElement;
  private readonly reviewBox: HTMLElement;
  private readonly verdictBox: HTMLElement;
  private readonly pauseButton: HTMLButtonElement;
  private assessment: Assessment | null = null;
  private reviewing: number | null = null;
  private verdict = { outcome: "clean" as VerdictOutcome, rules: new Set<RuleID>(), evidence: new Set<number>(), note: "", touched: false };
  private readonly mayAct: boolean;

  constructor(
    private readonly host: FocusHost,
    readonly id: string,
  ) {
    this.mayAct = host.me.role === "proctor";
    this.camera = h("video", { autoplay: true, muted: true, playsinline: true, class: "focus-camera", "aria-label": t("dashboard.focus.camera") });
    this.screen = h("video", { autoplay: true, muted: true, playsinline: true, class: "focus-screen", "aria-label": t("dashboard.focus.screen") });
    this.camera.muted = true;
    this.screen.muted = true;
    this.audio = h("audio", { autoplay: true });
    this.audio.muted = true;
    this.unmute = h("button", { type: "button", class: "unmute", "aria-pressed": "false" }, t("dashboard.focus.unmute"));
    this.unmute.addEventListener("click", () => {
      this.audio.muted = !this.audio.muted;
      this.unmute.setAttribute("aria-pressed", String(!this.audio.muted));
      this.unmute.textContent = this.audio.muted ? t("dashboard.focus.unmute") : t("dashboard.focus.mute");
      if (!this.audio.muted) void this.audio.play().catch(() => undefined);
    });
    this.head = h("div", { class: "focus-head" });
    this.status = h("p", { class: "action-status", role: "status", "aria-live": "polite" });
    this.riskBox = h("div", { class: "risk-box" });
    this.rulesBox = h("ul", { class: "rule-list" });
    this.precheckBox = h("div", {});
    this.identityBox = h("div", { class: "identity" });
    this.roomScanBox = h("div", {});
    this.timeline = h("ol", { class: "timeline", reversed: true });
    this.reviewBox = h("div", { class: "review-box" });
    this.verdictBox = h("div", { class: "verdict-box" });
    this.pauseButton = h("button", { type: "button", class: "act-pause" });

    const close = h("button", { type: "button", class: "close", "aria-label": t("dashboard.focus.close") }, "×");
    close.addEventListener("click", () => host.closeFocus());

    const cameraNote = h("p", { class: "video-note" }, t("ui.video.connecting"));
    const screenNote = h("p", { class: "video-note" }, t("dashboard.focus.no_screen"));
    for (const [v, note] of [[this.camera, cameraNote], [this.screen, screenNote]] as const) {
      v.addEventListener("resize", () => {
        if (v.videoWidth > 0) note.textContent = "";
      });
    }
    const media = h(
      "div",
      { class: "focus-media" },
      h("div", { class: "video-box" }, this.camera, cameraNote),
      h("div", { class: "video-box screen-box" }, this.screen, screenNote),
      h("div", { class: "audio-row" }, this.unmute, this.audio),
    );
    const sections = h(
      "div",
      { class: "focus-panels" },
      this.mayAct ? this.section("actions", t("dashboard.focus.actions"), this.actions()) : null,
      this.section("risk", t("dashboard.focus.risk"), this.riskBox),
      this.section("rules", t("dashboard.rules"), this.rulesBox),
      this.section("precheck", t("dashboard.focus.precheck"), this.precheckBox),
      this.section("identity", t("dashboard.focus.identity"), this.identityBox),
      this.section("roomscan", t("dashboard.focus.room_scans"), this.roomScanBox),
      this.mayAct ? this.section("review", t("dashboard.focus.review"), this.reviewBox) : null,
      this.section("verdict", t("dashboard.focus.verdict"), this.verdictBox),
      host.me.role === "admin" ? this.section("assign", t("dashboard.assign.title"), this.assignForm()) : null,
      this.section("timeline", t("dashboard.focus.timeline"), this.timeline),
    );
    this.el = h(
      "div",
      { class: "focus", role: "dialog", "aria-modal": "true", "aria-labelledby": "focus-title", "data-sitting": id },
      h("header", { class: "focus-top" }, this.head, close),
      this.status,
      h("div", { class: "focus-body" }, media, sections),
    );
    this.el.addEventListener("keydown", (ev: KeyboardEvent) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        host.closeFocus();
      }
    });
    this.watch = new Watch(host, {
      sitting: id,
      layer: "full",
      video: 2,
      audio: true,
      onTrack: (track, i) => {
        const el = i === 0 ? this.camera : i === 1 ? this.screen : this.audio;
        el.srcObject = new MediaStream([track]);
        void el.play().catch(() => undefined);
      },
    });
    this.render();
    window.setTimeout(() => close.focus(), 0);
  }

  private section(key: string, title: string, body: HTMLElement): HTMLElement {
    const hid = `focus-${key}`;
    return h("section", { class: `panel panel-${key}`, "aria-labelledby": hid }, h("h3", { id: hid }, title), body);
  }

  private get summary(): SittingSummary | undefined {
    return this.host.summaryOf(this.id);
  }

  private get records(): readonly FeedRecord[] {
    return this.host.recordsOf(this.id);
  }

  setAssessment(a: Assessment): void {
    this.assessment = a;
    this.renderRisk();
    this.renderForms();
  }

  private formSig = "";

  /** Re-renders the review and verdict forms only when what they offer
   * changed, so a note being typed survives new records. */
  private renderForms(): void {
    const flags = flagsOf(this.records).map((f) => [f.rec.n, f.review?.action.kind ?? ""]);
    const sig = JSON.stringify([flags, this.summary?.verdict ?? null, this.assessment?.open_flags ?? null, this.reviewing]);
    if (sig === this.formSig) return;
    this.formSig = sig;
    this.renderReview();
    this.renderVerdict();
  }

  /** Re-renders what records and the summary show (not the forms). */
  render(): void {
    const s = this.summary;
    if (s) {
      this.head.replaceChildren(
        h("h2", { id: "focus-title" }, t("ui.pin", { pin: s.pin })),
        h("span", { class: `badge state-${s.state}` }, t(`ui.state.${s.state}`)),
        h("span", { class: "meta" }, `${s.competition} · ${s.stage}`),
        ...(s.paused ? [h("span", { class: "paused-mark" }, t("dashboard.paused"))] : []),
      );
      this.pauseButton.textContent = s.paused ? t("dashboard.act.resume") : t("dashboard.act.pause");
      this.pauseButton.dataset["action"] = s.paused ? "resume" : "pause";
      this.renderRules(s);
    }
    this.renderPrecheck();
    this.renderIdentity();
    this.renderRoomScans();
    this.renderTimeline();
    this.renderForms();
  }

  private report(text: string, ok: boolean): void {
    this.status.textContent = text;
    this.status.className = `action-status ${ok ? "ok" : "error"}`;
  }

  private async post(path: string, body: unknown, what: string): Promise<Done | null> {
    try {
      const done = await api<Done>("POST", `/api/sittings/${encodeURIComponent(this.id)}/${path}`, body);
      const agent = done.agent ? t("dashboard.sent.agent") : "";
      this.report(`${t("dashboard.sent", { what })}${agent ? ` ${agent}` : ""}`, true);
      return done;
    } catch (e: unknown) {
      const msg = e instanceof ApiError ? e.message : String(e);
      const detail = e instanceof ApiError && e.detail !== e.message ? ` (${e.detail})` : "";
      this.report(`${t("dashboard.refused", { what })}: ${msg}${detail}`, false);
      return null;
    }
  }

  // ---- actions ----

  private actions(): HTMLElement {
    const scan = h("button", { type: "button", class: "act-room-scan" }, t("dashboard.act.room_scan"));
    scan.addEventListener("click", () => void this.post("room-scan", {}, t("dashboard.act.room_scan")));

    const msgText = h("textarea", { id: "msg-text", rows: 2, maxlength: 4000 });
    const msgSend = h("button", { type: "button", class: "act-message" }, t("dashboard.act.send_message"));
    msgSend.addEventListener("click", () => {
      void this.post("message", { text: msgText.value }, t("dashboard.act.message")).then((d) => {
        if (d) msgText.value = "";
      });
    });

    const warnRule = h("select", { id: "warn-rule" });
    for (const id of rules) warnRule.append(h("option", { value: id }, `${id} — ${ruleTitle(id)}`));
    const warnText = h("textarea", { id: "warn-text", rows: 2, maxlength: 4000 });
    const warnSend = h("button", { type: "button", class: "act-warning" }, t("dashboard.act.send_warning"));
    warnSend.addEventListener("click", () => {
      void this.post("warning", { rule: warnRule.value, text: warnText.value }, t("dashboard.act.warning")).then((d) => {
        if (d) warnText.value = "";
      });
    });

    this.pauseButton.addEventListener("click", () => {
      const action = this.pauseButton.dataset["action"] === "resume" ? "resume" : "pause";
      void this.post(action, {}, t(action === "resume" ? "dashboard.act.resume" : "dashboard.act.pause"));
    });

    const endReason = h("textarea", { id: "end-reason", rows: 2, maxlength: 4000 });
    const endSend = h("button", { type: "button", class: "act-end danger" }, t("dashboard.act.end"));
    endSend.addEventListener("click", () => void this.post("end", { reason: endReason.value }, t("dashboard.act.end")));

    return h(
      "div",
      { class: "actions" },
      h("div", { class: "row" }, scan, this.pauseButton),
      h("label", { for: "msg-text" }, t("dashboard.act.message")),
      msgText,
      msgSend,
      h("label", { for: "warn-rule" }, t("dashboard.act.warning_rule")),
      warnRule,
      h("label", { for: "warn-text" }, t("dashboard.act.warning_text")),
      warnText,
      warnSend,
      h("label", { for: "end-reason" }, t("dashboard.act.end_reason")),
      endReason,
      endSend,
    );
  }

  private assignForm(): HTMLElement {
    const input = h("input", { id: "assign-input", autocomplete: "off" });
    const save = h("button", { type: "button" }, t("dashboard.assign.save"));
    const path = `/api/sittings/${encodeURIComponent(this.id)}/proctors`;
    void api<{ proctors: string[] }>("GET", path)
      .then((a) => (input.value = a.proctors.join(", ")))
      .catch(() => undefined);
    save.addEventListener("click", () => {
      const proctors = input.value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      api<{ proctors: string[] }>("PUT", path, { proctors })
        .then((a) => {
          input.value = a.proctors.join(", ");
          this.report(t("dashboard.assign.saved"), true);
        })
        .catch((e: unknown) => this.report(e instanceof Error ? e.message : String(e), false));
    });
    return h("div", { class: "assign" }, h("label", { for: "assign-input" }, t("dashboard.assign.label")), input, save);
  }

  // ---- panels ----

  private renderRisk(): void {
    const a = this.assessment;
    if (!a) {
      this.riskBox.replaceChildren(h("p", { class: "empty" }, t("ui.video.connecting")));
      return;
    }
    const rows = a.items?.map((it) =>
      h(
        "tr",
        { "data-n": it.n },
        h("td", {}, it.count ? t("dashboard.risk.many", { n: `#${it.n}`, count: String(it.count) }) : `#${it.n}`),
        h("td", {}, `${it.rule} ${ruleTitle(it.rule)}`),
        h("td", {}, t(`dashboard.severity.${it.severity}`) + (it.confirmed ? ` · ${t("dashboard.flag.confirmed")}` : "")),
        h("td", { class: "num" }, `${it.weight} × ${Number(it.factor.toFixed(3))}`),
        h("td", { class: "num" }, formatRisk(it.points)),
      ),
    );
    const sev = a.weights.severity;
    this.riskBox.replaceChildren(
      h("p", { class: "risk-total" }, t("dashboard.risk_label", { risk: formatRisk(a.risk) })),
      rows && rows.length
        ? h(
            "table",
            { class: "risk-items" },
            h("caption", {}, t("dashboard.risk.caption")),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, t("dashboard.risk.flag")),
                h("th", { scope: "col" }, t("dashboard.risk.rule")),
                h("th", { scope: "col" }, t("dashboard.risk.severity")),
                h("th", { scope: "col" }, t("dashboard.risk.weight")),
                h("th", { scope: "col" }, t("dashboard.risk.points")),
              ),
            ),
            h("tbody", {}, ...rows),
          )
        : h("p", { class: "empty" }, t("dashboard.risk.none")),
      h(
        "p",
        { class: "hint" },
        t("dashboard.risk.how", {
          violation: String(sev.violation ?? 0),
          suspected: String(sev.suspected ?? 0),
          unchecked: String(sev.unchecked ?? 0),
          repeat: String(a.weights.repeat),
        }),
      ),
    );
  }

  private renderRules(s: SittingSummary): void {
    this.rulesBox.replaceChildren(
      ...rules.map((id) => {
        const st = s.rules?.[id];
        const state = st?.state ?? "no_data";
        return h(
          "li",
          { class: `rs-${state}`, "data-rule": id, "data-state": state },
          h("span", { class: "rule-badge-inline", "aria-hidden": "true" }, stateMark(state)),
          ` ${id} ${ruleTitle(id)}: `,
          h("strong", {}, t(`dashboard.rule_state.${state}`)),
          st?.active ? ` · ${t("dashboard.rule_active")}` : "",
          st?.open ? ` · ${t("dashboard.open_flags", { n: String(st.open) })}` : "",
          st?.risk ? ` · ${t("dashboard.risk_label", { risk: formatRisk(st.risk) })}` : "",
        );
      }),
    );
  }

  private renderPrecheck(): void {
    const checks = this.records.filter((r) => r.event?.subject.startsWith("precheck:"));
    if (checks.length === 0) {
      this.precheckBox.replaceChildren(h("p", { class: "empty" }, t("dashboard.precheck.none")));
      return;
    }
    this.precheckBox.replaceChildren(
      h(
        "ul",
        { class: "precheck" },
        ...checks.map((r) => {
          const e = r.event as Event;
          const status = e.severity === "info" ? "ok" : e.severity === "unchecked" ? "could_not_check" : "violation";
          const report = e.evidence?.find((x) => x.kind === "report");
          return h(
            "li",
            { class: `sev-${e.severity}`, "data-check": e.subject.slice("precheck:".length), "data-n": r.n },
            h("span", { class: "rule" }, t("ui.rule", { rule: e.rule })),
            " ",
            eventText(e),
            ": ",
            h("strong", {}, e.severity === "suspected" ? t("dashboard.severity.suspected") : t(`precheck.status.${status}`)),
            report ? " " : null,
            report ? h("a", { href: evidenceURL(this.id, report.sha256), target: "_blank", rel: "noopener" }, t("dashboard.evidence.report")) : null,
          );
        }),
      ),
    );
  }

  private renderIdentity(): void {
    // The ID document shows the name and IIN: HR checks it and the proctor
    // sees HR's result, never the photo (p.74-1, rule 10.1).
    let reference: { sha: string; n: number } | null = null;
    let idPhoto = 0;
    let decision: { kind: string; note: string; target: number } | null = null;
    for (const r of this.records) {
      for (const ev of r.event?.evidence ?? []) {
        if (ev.kind === "reference") reference = { sha: ev.sha256, n: r.n };
        if (ev.kind === "id_photo") idPhoto = r.n;
      }
      const a = r.action;
      if (a && (a.kind === "identity_confirmed" || a.kind === "identity_rejected")) decision = { kind: a.kind, note: a.note ?? "", target: a.target ?? 0 };
    }
    const label = t("dashboard.identity.reference");
    const ref = h(
      "figure",
      { class: "reference" },
      reference ? h("img", { src: evidenceURL(this.id, reference.sha), alt: label, loading: "lazy" }) : h("div", { class: "no-photo" }, t("dashboard.identity.missing")),
      h("figcaption", {}, reference ? `${label} · #${reference.n}` : label),
    );
    let state: string;
    let text: string;
    if (!idPhoto) {
      state = "missing";
      text = t("dashboard.identity.no_id");
    } else if (!decision || decision.target < idPhoto) {
      state = "pending";
      text = t("dashboard.identity.pending");
    } else if (decision.kind === "identity_confirmed") {
      state = "confirmed";
      text = t("dashboard.identity.confirmed");
    } else {
      state = "rejected";
      text = t("dashboard.identity.rejected", { note: decision.note });
    }
    this.identityBox.replaceChildren(
      ref,
      h("div", { class: `id-check id-${state}`, role: "status", "data-state": state }, h("strong", {}, t("dashboard.identity.id_photo")), h("p", {}, text)),
    );
  }

  private renderRoomScans(): void {
    // The agent acknowledges a request with a "roomscan:request" instant
    // and reports the measured turn as a "roomscan" instant.
    const scans = this.records.filter((r) => r.event?.rule === "10.7" && r.event.subject === "roomscan");
    const asked = this.records.filter((r) => r.action?.kind === "room_scan").length;
    const started = this.records.filter((r) => r.event?.rule === "10.7" && r.event.subject === "roomscan:request").length;
    const note = h(
      "p",
      { class: "hint room-scan-count" },
      asked ? t("dashboard.room_scan.asked", { n: String(asked), started: String(started) }) : t("dashboard.room_scan.none"),
    );
    if (scans.length === 0) {
      this.roomScanBox.replaceChildren(note);
      return;
    }
    this.roomScanBox.replaceChildren(
      note,
      h(
        "table",
        { class: "room-scans" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, t("dashboard.room_scan.time")),
            h("th", { scope: "col" }, t("dashboard.room_scan.degrees")),
            h("th", { scope: "col" }, t("dashboard.room_scan.seconds")),
            h("th", { scope: "col" }, t("dashboard.room_scan.result")),
          ),
        ),
        h(
          "tbody",
          {},
          ...scans.map((r) => {
            const e = r.event as Event;
            const a = e.args ?? {};
            return h(
              "tr",
              { class: `sev-${e.severity}`, "data-n": r.n },
              h("td", {}, formatTime(e.time)),
              h("td", { class: "num" }, a["degrees"] ?? "—"),
              h("td", { class: "num" }, a["seconds"] ?? "—"),
              h("td", {}, h("strong", {}, t(`dashboard.severity.${e.severity}`)), " ", eventText(e)),
            );
          }),
        ),
      ),
    );
  }

  private renderTimeline(): void {
    const flags = new Map(flagsOf(this.records).map((f) => [f.rec.n, f]));
    const items = this.records
      .slice()
      .reverse()
      .map((r) => {
        const li = recordItem(r);
        const e = r.event;
        if (e?.evidence?.length) {
          li.append(
            h(
              "div",
              { class: "evidence" },
              ...e.evidence.map((ev) =>
                ev.kind === "id_photo"
                  ? h("span", { class: "hr-only" }, t("dashboard.identity.hr_only"))
                  : imageKinds.has(ev.kind)
                  ? h(
                      "a",
                      { href: evidenceURL(this.id, ev.sha256), target: "_blank", rel: "noopener" },
                      h("img", { src: evidenceURL(this.id, ev.sha256), alt: t(`dashboard.evidence.${ev.kind}`), loading: "lazy", class: "thumb" }),
                    )
                  : h("a", { href: evidenceURL(this.id, ev.sha256), target: "_blank", rel: "noopener" }, t(`dashboard.evidence.${ev.kind}`)),
              ),
            ),
          );
        }
        const f = flags.get(r.n);
        if (f) li.append(this.flagLine(f));
        return li;
      });
    this.timeline.replaceChildren(...items);
  }

  private flagLine(f: FlagView): HTMLElement {
    const rev = f.review?.action;
    const state = rev ? (rev.kind === "flag_confirmed" ? "confirmed" : "dismissed") : "open";
    const line = h(
      "div",
      { class: `flag flag-${state}`, "data-flag": f.rec.n, "data-review": state },
      h("span", { class: "flag-state" }, t(`dashboard.flag.${state}`)),
      rev ? ` — ${rev.actor}: ${rev.note ?? ""}` : "",
    );
    if (this.mayAct && !this.summary?.verdict) {
      const b = h("button", { type: "button", class: "review-flag", "data-flag": f.rec.n }, t("dashboard.flag.review"));
      b.addEventListener("click", () => {
        this.reviewing = f.rec.n;
        this.renderReview();
        this.reviewBox.querySelector("textarea")?.focus();
      });
      line.append(" ", b);
    }
    return line;
  }

  private renderReview(): void {
    if (!this.mayAct) return;
    const flags = flagsOf(this.records);
    const open = flags.filter((f) => !f.review);
    const pick = this.reviewing !== null ? flags.find((f) => f.rec.n === this.reviewing) : open[0];
    const summary = h("p", {}, t("dashboard.review.open", { n: String(open.length), total: String(flags.length) }));
    if (!pick || this.summary?.verdict) {
      this.reviewBox.replaceChildren(summary);
      return;
    }
    const note = h("textarea", { id: "review-note", rows: 2, maxlength: 4000 });
    const old = this.reviewBox.querySelector<HTMLTextAreaElement>("#review-note");
    if (old && old.dataset["flag"] === String(pick.rec.n)) note.value = old.value;
    note.dataset["flag"] = String(pick.rec.n);
    const send = (decision: "confirm" | "dismiss"): void => {
      void this.post(`flags/${pick.rec.n}/review`, { decision, note: note.value }, t(`dashboard.flag.${decision}`)).then((d) => {
        if (d) {
          this.reviewing = null;
          note.value = "";
        }
      });
    };
    const confirm = h("button", { type: "button", class: "confirm-flag danger" }, t("dashboard.flag.confirm"));
    const dismiss = h("button", { type: "button", class: "dismiss-flag" }, t("dashboard.flag.dismiss"));
    confirm.addEventListener("click", () => send("confirm"));
    dismiss.addEventListener("click", () => send("dismiss"));
    const e = pick.event;
    this.reviewBox.replaceChildren(
      summary,
      h(
        "div",
        { class: "review-target", "data-flag": pick.rec.n },
        h("strong", {}, `#${pick.rec.n} · ${t("ui.rule", { rule: e.rule })} · ${t(`dashboard.severity.${e.severity}`)}`),
        " ",
        eventText(e),
      ),
      h("label", { for: "review-note" }, t("dashboard.review.note")),
      note,
      h("div", { class: "row" }, confirm, dismiss),
    );
  }

  private renderVerdict(): void {
    const s = this.summary;
    if (s?.verdict) {
      const v = s.verdict;
      this.verdictBox.replaceChildren(
        h(
          "p",
          { class: `verdict-published verdict-${v.outcome}`, "data-outcome": v.outcome },
          t("dashboard.verdict.published", { outcome: t(`dashboard.verdict.${v.outcome}`) }),
          v.rules?.length ? ` · ${v.rules.join(", ")}` : "",
          v.evidence?.length ? ` · ${v.evidence.map((n) => `#${n}`).join(", ")}` : "",
        ),
      );
      return;
    }
    if (!this.mayAct) {
      this.verdictBox.replaceChildren(h("p", { class: "empty" }, t("dashboard.verdict.not_yet")));
      return;
    }
    const flags = flagsOf(this.records);
    const confirmed = flags.filter((f) => f.review?.action.kind === "flag_confirmed");
    const open = flags.filter((f) => !f.review);
    const st = this.verdict;
    if (!st.touched) {
      st.outcome = confirmed.length ? "violation" : "clean";
      st.rules = new Set(confirmed.map((f) => f.event.rule));
      st.evidence = new Set(confirmed.map((f) => f.rec.n));
    }
    const radio = (o: VerdictOutcome): HTMLElement => {
      const input = h("input", { type: "radio", name: "outcome", id: `outcome-${o}`, value: o, checked: st.outcome === o });
      input.addEventListener("change", () => {
        st.outcome = o;
        st.touched = true;
        this.renderVerdict();
      });
      return h("span", { class: "choice" }, input, h("label", { for: `outcome-${o}` }, t(`dashboard.verdict.${o}`)));
    };
    const ruleBoxes = rules.map((id) => {
      const input = h("input", { type: "checkbox", id: `vrule-${id}`, value: id, checked: st.rules.has(id) });
      input.addEventListener("change", () => {
        st.touched = true;
        if (input.checked) st.rules.add(id);
        else st.rules.delete(id);
      });
      return h("span", { class: "choice" }, input, h("label", { for: `vrule-${id}` }, `${id} ${ruleTitle(id)}`));
    });
    const evidenceBoxes = confirmed.map((f) => {
      const input = h("input", { type: "checkbox", id: `vev-${f.rec.n}`, value: f.rec.n, checked: st.evidence.has(f.rec.n) });
      input.addEventListener("change", () => {
        st.touched = true;
        if (input.checked) st.evidence.add(f.rec.n);
        else st.evidence.delete(f.rec.n);
      });
      return h("span", { class: "choice" }, input, h("label", { for: `vev-${f.rec.n}` }, `#${f.rec.n} · ${f.event.rule} · ${eventText(f.event)}`));
    });
    const note = h("textarea", { id: "verdict-note", rows: 2, maxlength: 4000 });
    note.value = st.note;
    note.addEventListener("input", () => (st.note = note.value));
    const publish = h("button", { type: "button", class: "publish-verdict danger" }, t("dashboard.verdict.publish"));
    publish.addEventListener("click", () => {
      const body =
        st.outcome === "clean"
          ? { outcome: "clean", note: st.note }
          : { outcome: "violation", rules: rules.filter((r) => st.rules.has(r)), evidence: [...st.evidence].sort((a, b) => a - b), note: st.note };
      void this.post("verdict", body, t("dashboard.verdict.publish"));
    });
    const openIds = this.assessment?.open_flags ?? open.map((f) => f.rec.n);
    const blocked: Node[] = openIds.length
      ? [h("p", { class: "verdict-blocked", role: "note" }, t("dashboard.verdict.open_first", { flags: openIds.map((n) => `#${n}`).join(", ") }))]
      : [];
    const parts: Node[] = [
      h("fieldset", {}, h("legend", {}, t("dashboard.verdict.outcome")), radio("clean"), radio("violation")),
    ];
    if (st.outcome === "violation") {
      parts.push(
        h("fieldset", { class: "vrules" }, h("legend", {}, t("dashboard.verdict.rules")), ...ruleBoxes),
        h(
          "fieldset",
          { class: "vevidence" },
          h("legend", {}, t("dashboard.verdict.evidence")),
          ...(evidenceBoxes.length ? evidenceBoxes : [h("p", { class: "empty" }, t("dashboard.verdict.no_confirmed"))]),
        ),
      );
    }
    this.verdictBox.replaceChildren(...blocked, ...parts, h("label", { for: "verdict-note" }, t("dashboard.verdict.note")), note, publish);
  }

  close(): void {
    this.watch.close();
    this.camera.srcObject = null;
    this.screen.srcObject = null;
    this.audio.srcObject = null;
  }
}

/** Whether a record is a flag whose event is a violation (for announcements). */
export function isViolationFlag(r: FeedRecord): boolean {
  return !!r.event && isFlag(r.event) && r.event.severity === "violation";
}
