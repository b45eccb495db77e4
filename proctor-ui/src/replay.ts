// The auditor's replay of a sitting (issue 6): find it by PIN; see one
// timeline with the camera and screen recordings in sync, the rule events
// as coloured spans per rule (10.1–10.11), evidence snapshots, the
// proctor's actions and notes, room scans and the verdict; click a span to
// seek the video there; play at 0.5×–8×; a badge that says "verified
// against checkpoint N" or names the entry at fault; the candidate's
// appeal beside it, with the decision form; and a printable report for the
// appeal file. Read-only but for the appeal decision (auditors only).

import "./style.css";
import "./replay.css";
import { api } from "./api";
import { h, clear } from "./dom";
import { actionText, eventText, ruleTitle } from "./events";
import { initialLang, lang, loadCatalogue, onLangChange, t } from "./i18n";
import { langSwitch } from "./lang-switch";
import { loginForm } from "./login";
import { Player } from "./replay-player";
import type {
  Appeal, DecisionOutcome, Evidence, Item, Me, PublishedVerdict, Recording, RuleID, SearchResult, SittingBrief, Span, Timeline, Verification,
} from "./replay-types";
import { formatDateTime, formatDeadline, ms } from "./replay-types";
import { ruleIDValues } from "./gen/protocol";

const root = document.getElementById("app") as HTMLElement;

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const when = (iso: string): string => formatDateTime(iso, lang());
const clock = (t: number): string =>
  new Date(t).toLocaleTimeString(lang() === "kk" ? "kk-KZ" : lang() === "ru" ? "ru-RU" : "en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

// ---- page state ----

let me: Me | null = null;
let tl: Timeline | null = null;
let verification: Verification | null = null;
let verifying = false;
let player: Player | null = null;
let search: SearchResult | null = null;
let searchPin = "";
let pendingOnly = false;
let message = "";

declare global {
  interface Window {
    kuzetReplay?: { player: () => Player | null; timeline: () => Timeline | null; verification: () => Verification | null };
  }
}
window.kuzetReplay = { player: () => player, timeline: () => tl, verification: () => verification };

function header(): HTMLElement {
  const right = h("div", { class: "who" });
  if (me) {
    const out = h("button", { type: "button", id: "logout" }, t("ui.logout"));
    out.addEventListener("click", () => void api("POST", "/api/logout", {}).finally(() => location.reload()));
    right.append(h("span", { class: "user" }, t("ui.signed_in_as", { user: me.username, role: me.role })), " ", out);
  }
  return h("header", { class: "top" }, h("h1", {}, t("replay.title")), langSwitch(), right);
}

// ---- login ----

function loginView(): HTMLElement {
  return loginForm<Me>(t("replay.login.title"), (m) => {
    me = m;
    route();
  });
}

// ---- search ----

function searchView(): HTMLElement {
  const pin = h("input", { id: "pin", name: "pin", inputmode: "numeric", autocomplete: "off", value: searchPin, "aria-describedby": "pin-hint" });
  const pending = h("input", { id: "pending", type: "checkbox", checked: pendingOnly });
  const form = h(
    "form",
    { class: "search", role: "search" },
    h("label", { for: "pin" }, t("replay.search.pin")),
    pin,
    h("span", { class: "choice" }, pending, h("label", { for: "pending" }, t("replay.search.pending"))),
    h("button", { type: "submit" }, t("replay.search.find")),
    h("p", { id: "pin-hint", class: "hint" }, t("replay.search.hint")),
  );
  form.addEventListener("submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    searchPin = pin.value.trim();
    pendingOnly = pending.checked;
    void runSearch();
  });
  const out = h("section", { class: "results", "aria-live": "polite" });
  if (search) {
    if (search.sittings.length === 0) out.append(h("p", { class: "empty" }, t("replay.search.none")));
    else {
      out.append(
        h(
          "table",
          { class: "results-table" },
          h("thead", {}, h("tr", {},
            h("th", {}, t("replay.field.pin")), h("th", {}, t("replay.field.competition")), h("th", {}, t("replay.field.stage")),
            h("th", {}, t("replay.field.created")), h("th", {}, t("replay.field.verdict")), h("th", {}, t("replay.field.appeal")))),
          h("tbody", {}, ...search.sittings.map(resultRow)),
        ),
      );
      if (search.more) out.append(h("p", { class: "hint" }, t("replay.search.more")));
    }
  }
  return h("main", { class: "replay-search" }, h("h2", {}, t("replay.search.title")), form, message ? h("p", { class: "error", role: "alert" }, message) : null, out);
}

function outcomeText(o: string | undefined): string {
  switch (o) {
    case "clean":
      return t("replay.outcome.clean");
    case "violation":
      return t("replay.outcome.violation");
  }
  return t("replay.outcome.none");
}

function appealText(a: string | undefined): string {
  switch (a) {
    case "pending":
      return t("replay.appeal.pending");
    case "upheld":
      return t("replay.appeal.upheld");
    case "overturned":
      return t("replay.appeal.overturned");
  }
  return "—";
}

function resultRow(s: SittingBrief): HTMLTableRowElement {
  const open = h("a", { href: `#s=${encodeURIComponent(s.id)}`, class: "open-sitting", "data-sitting": s.id }, s.pin);
  return h(
    "tr",
    { "data-pin": s.pin },
    h("td", {}, open),
    h("td", {}, s.competition),
    h("td", {}, s.stage),
    h("td", {}, when(s.created)),
    h("td", { class: `outcome-${s.effective ?? "none"}` }, outcomeText(s.effective)),
    h("td", {}, appealText(s.appeal)),
  );
}

async function runSearch(): Promise<void> {
  message = "";
  const q = new URLSearchParams();
  if (searchPin) q.set("pin", searchPin);
  if (pendingOnly) q.set("appeal", "pending");
  try {
    search = await api<SearchResult>("GET", `/api/replay/sittings?${q.toString()}`);
  } catch (err) {
    message = errText(err);
  }
  render();
}

// ---- one sitting ----

async function openSitting(id: string): Promise<void> {
  player?.close();
  player = null;
  tl = null;
  verification = null;
  message = "";
  render();
  try {
    tl = await api<Timeline>("GET", `/api/replay/sittings/${encodeURIComponent(id)}`);
  } catch (err) {
    message = errText(err);
  }
  render();
  if (tl) void runVerify(tl.sitting.id);
}

async function runVerify(id: string): Promise<void> {
  verifying = true;
  renderBadge();
  try {
    verification = await api<Verification>("GET", `/api/replay/sittings/${encodeURIComponent(id)}/verify`);
  } catch (err) {
    verification = { ok: false, checked: false, error: errText(err), entries: 0, files: 0, records: 0, deleted: 0, problems: 0 };
  }
  verifying = false;
  renderBadge();
  renderReport();
}

function badgeContent(): { cls: string; title: string; detail: string } {
  const v = verification;
  if (verifying || !v) return { cls: "badge-pending", title: t("replay.verify.running"), detail: "" };
  if (v.ok && v.checkpoint) {
    return {
      cls: "badge-ok",
      title: t("replay.verify.ok", { n: String(v.checkpoint.number) }),
      detail: t("replay.verify.ok_detail", { entries: String(v.entries), files: String(v.files), records: String(v.records), size: String(v.checkpoint.size) }),
    };
  }
  if (!v.checked) return { cls: "badge-unchecked", title: t("replay.verify.unchecked"), detail: v.error ?? "" };
  const p = v.problem;
  const named = p ? (p.message[lang()] ?? p.message.en ?? p.detail) : "";
  return {
    cls: "badge-failed",
    title: p && p.index >= 0 ? t("replay.verify.failed_entry", { index: String(p.index) }) : t("replay.verify.failed"),
    detail: named + (v.problems > 1 ? ` ${t("replay.verify.more", { n: String(v.problems - 1) })}` : ""),
  };
}

function renderBadge(): void {
  const el = document.getElementById("verify-badge");
  if (!el) return;
  const b = badgeContent();
  el.className = `verify-badge ${b.cls}`;
  el.replaceChildren(h("strong", { class: "verify-title" }, b.title));
  if (b.detail) el.append(h("span", { class: "verify-detail" }, b.detail));
  if (tl) {
    const again = h("button", { type: "button", class: "verify-again" }, t("replay.verify.again"));
    const id = tl.sitting.id;
    again.addEventListener("click", () => void runVerify(id));
    el.append(again);
  }
}

// Colour index of a rule: 1–11 (CSS classes rule-c1…rule-c11).
function ruleIndex(rule: string | undefined): number {
  return ruleIDValues.indexOf((rule ?? "") as RuleID) + 1;
}

function severityText(s: string | undefined): string {
  switch (s) {
    case "violation":
      return t("replay.severity.violation");
    case "suspected":
      return t("replay.severity.suspected");
    case "unchecked":
      return t("replay.severity.unchecked");
  }
  return t("replay.severity.info");
}

function spanLabel(sp: Span): string {
  if (sp.kind === "link") return t("replay.lane.link");
  if (sp.kind === "pause") return t("replay.lane.pause");
  const text = sp.key ? eventText({ seq: 0, time: sp.start, rule: sp.rule ?? "10.1", kind: "start", subject: sp.subject ?? "", severity: sp.severity ?? "info", key: sp.key, args: sp.args }) : "";
  return `${t("ui.rule", { rule: sp.rule ?? "" })} · ${severityText(sp.severity)} · ${clock(ms(sp.start))}: ${text}`;
}

function pct(t0: number, t1: number, t: number): number {
  return t1 > t0 ? ((t - t0) / (t1 - t0)) * 100 : 0;
}

/** The timeline: a lane per rule, the recordings, link and pause, a playhead. */
function timelineView(data: Timeline): HTMLElement {
  const t0 = ms(data.start);
  const t1 = Math.max(ms(data.end), t0 + 1000);
  const lanes: HTMLElement[] = [];
  const track = (label: string, cls: string, items: HTMLElement[]): HTMLElement => {
    const tr = h("div", { class: "track" }, ...items);
    tr.addEventListener("click", (ev: MouseEvent) => {
      if (ev.target !== tr) return;
      const r = tr.getBoundingClientRect();
      player?.seek(t0 + ((ev.clientX - r.left) / r.width) * (t1 - t0));
    });
    const lane = h("div", { class: `lane ${cls}` }, h("div", { class: "lane-label" }, label), tr);
    lanes.push(lane);
    return lane;
  };
  const spanEl = (sp: Span, cls: string): HTMLButtonElement => {
    const b = h("button", {
      type: "button",
      class: `span ${cls} sev-${sp.severity ?? "info"}${sp.instant ? " instant" : ""}${sp.open ? " open" : ""}`,
      "data-rule": sp.rule,
      "data-start": sp.start,
      "data-n": sp.start_n,
      title: spanLabel(sp),
      "aria-label": spanLabel(sp),
    });
    const a = pct(t0, t1, ms(sp.start));
    b.style.left = `${a}%`;
    b.style.width = `${Math.max(pct(t0, t1, ms(sp.end)) - a, 0)}%`;
    b.addEventListener("click", () => {
      player?.seek(ms(sp.start));
      highlight(sp.start_n);
    });
    return b;
  };
  const recEl = (r: Recording): HTMLElement => {
    const d = h("div", { class: `rec rec-${r.kind}${r.deleted ? " deleted" : ""}`, title: `${r.name} · ${clock(ms(r.start))}–${clock(ms(r.end))}` });
    const a = pct(t0, t1, ms(r.start));
    d.style.left = `${a}%`;
    d.style.width = `${Math.max(pct(t0, t1, ms(r.end)) - a, 0.2)}%`;
    return d;
  };
  track(t("replay.lane.camera"), "lane-rec", data.recordings.filter((r) => r.kind === "camera").map(recEl));
  track(t("replay.lane.screen"), "lane-rec", data.recordings.filter((r) => r.kind === "screen").map(recEl));
  for (const rule of ruleIDValues) {
    const spans = data.spans.filter((s) => s.kind === "rule" && s.rule === rule);
    const lane = track(`${rule} ${ruleTitle(rule)}`, `lane-rule rule-c${ruleIndex(rule)}`, spans.map((s) => spanEl(s, `rule-c${ruleIndex(rule)}`)));
    lane.setAttribute("data-rule", rule);
    if (spans.length === 0) lane.classList.add("lane-empty");
  }
  track(t("replay.lane.link_pause"), "lane-link", data.spans.filter((s) => s.kind !== "rule").map((s) => spanEl(s, `span-${s.kind}`)));
  const actions = data.records.filter((r) => r.action && r.action.kind !== "agent_lost" && r.action.kind !== "agent_back").map((r) => {
    const a = r.action!;
    const b = h("button", { type: "button", class: `mark action-${a.kind}`, "data-n": r.n, title: `${clock(ms(r.time))} ${a.actor}: ${actionText(a)}`, "aria-label": actionText(a) });
    b.style.left = `${pct(t0, t1, ms(r.time))}%`;
    b.addEventListener("click", () => {
      player?.seek(ms(r.time));
      highlight(r.n);
    });
    return b;
  });
  track(t("replay.lane.actions"), "lane-actions", actions);
  const head = h("div", { class: "playhead", "aria-hidden": "true" });
  const axis = h(
    "div",
    { class: "axis" },
    ...[0, 0.25, 0.5, 0.75, 1].map((f) => {
      const s = h("span", {}, clock(t0 + f * (t1 - t0)));
      s.style.left = `${f * 100}%`;
      return s;
    }),
  );
  return h("div", { class: "timeline", id: "timeline", "data-start": data.start, "data-end": data.end }, h("div", { class: "lanes" }, ...lanes, head), axis);
}

function movePlayhead(t: number): void {
  if (!tl) return;
  const head = document.querySelector<HTMLElement>(".playhead");
  const t0 = ms(tl.start);
  const t1 = Math.max(ms(tl.end), t0 + 1000);
  if (head) head.style.left = `calc(var(--label-w) + (100% - var(--label-w)) * ${pct(t0, t1, t) / 100})`;
  const now = document.getElementById("now");
  if (now) now.textContent = clock(t);
}

function highlight(n: number): void {
  for (const el of document.querySelectorAll(".records li.current")) el.classList.remove("current");
  const li = document.querySelector<HTMLElement>(`.records li[data-n="${n}"]`);
  if (li) {
    li.classList.add("current");
    li.scrollIntoView({ block: "nearest" });
  }
}

function playerView(data: Timeline): HTMLElement {
  const cam = h("video", { class: "replay-video", id: "camera-video", muted: false, "aria-label": t("replay.lane.camera") });
  const scr = h("video", { class: "replay-video", id: "screen-video", muted: true, "aria-label": t("replay.lane.screen") });
  scr.muted = true;
  const camGap = h("p", { class: "video-note", id: "camera-gap" });
  const scrGap = h("p", { class: "video-note", id: "screen-gap" });
  const play = h("button", { type: "button", id: "play" }, t("replay.play"));
  const rate = h(
    "select",
    { id: "rate", "aria-label": t("replay.rate") },
    ...[0.5, 1, 2, 4, 8].map((r) => h("option", { value: String(r), selected: r === 1 }, `${r}×`)),
  );
  player?.close();
  player = new Player(cam, scr, data.recordings, ms(data.start), Math.max(ms(data.end), ms(data.start) + 1000), {
    onTime: movePlayhead,
    onGap: (lane, gap) => ((lane === "camera" ? camGap : scrGap).textContent = gap ? t("replay.no_recording") : ""),
    onPlaying: (p) => (play.textContent = p ? t("replay.pause") : t("replay.play")),
  });
  play.addEventListener("click", () => (player?.isPlaying ? player.pause() : player?.play()));
  rate.addEventListener("change", () => player?.setRate(Number(rate.value)));
  const playable = data.recordings.some((r) => !r.deleted && r.url);
  return h(
    "section",
    { class: "players", "aria-label": t("replay.recordings") },
    h("div", { class: "video-pair" },
      h("figure", {}, h("div", { class: "video-box" }, cam, camGap), h("figcaption", {}, t("replay.lane.camera"))),
      h("figure", {}, h("div", { class: "video-box" }, scr, scrGap), h("figcaption", {}, t("replay.lane.screen")))),
    h("div", { class: "controls" }, play, h("label", { for: "rate" }, t("replay.rate")), rate, h("span", { class: "now", id: "now" }, ""),
      playable ? null : h("span", { class: "hint" }, t("replay.no_recordings"))),
  );
}

function recordLine(r: Item): HTMLLIElement {
  const e = r.event;
  const a = r.action;
  const li = h(
    "li",
    { "data-n": r.n, "data-rule": e?.rule ?? a?.rule, class: e ? `event sev-${e.severity} kind-${e.kind}` : `action action-${a?.kind ?? ""}` },
    h("button", { type: "button", class: "seek", "aria-label": t("replay.seek_to", { time: clock(ms(r.time)) }) }, clock(ms(r.time))),
    " ",
    e ? h("span", { class: "rule" }, t("ui.rule", { rule: e.rule })) : h("span", { class: "actor" }, a?.actor ?? ""),
    " ",
    h("span", { class: "text" }, e ? `${ruleTitle(e.rule)}: ${eventText(e)}` : a ? actionText(a) : ""),
    h("span", { class: "entry" }, r.entry >= 0 ? t("replay.entry", { index: String(r.entry) }) : t("replay.entry_none")),
  );
  li.querySelector("button")?.addEventListener("click", () => {
    player?.seek(ms(r.time));
    highlight(r.n);
  });
  return li;
}

function evidenceView(ev: Evidence[]): HTMLElement {
  if (ev.length === 0) return h("p", { class: "empty" }, t("replay.evidence.none"));
  return h(
    "ul",
    { class: "evidence" },
    ...ev.map((e) => {
      const img = e.hr_only
        ? h("span", { class: "hr-only" }, t("dashboard.identity.hr_only"))
        : e.mime.startsWith("image/") ? h("img", { src: e.url, alt: t("replay.evidence.alt", { rule: e.rule, time: clock(ms(e.time)) }), loading: "lazy" }) : null;
      const li = h(
        "li",
        { "data-n": e.n },
        img ?? h("a", { href: e.url, target: "_blank", rel: "noopener" }, e.kind),
        h("span", {}, `${clock(ms(e.time))} · ${t("ui.rule", { rule: e.rule })} · ${e.kind}`),
      );
      li.addEventListener("click", () => {
        player?.seek(ms(e.time));
        highlight(e.n);
      });
      return li;
    }),
  );
}

function verdictView(v: PublishedVerdict | undefined, data: Timeline): HTMLElement {
  if (!v) return h("p", { class: "empty", id: "verdict" }, t("replay.verdict.none"));
  return h(
    "dl",
    { class: "status", id: "verdict", "data-outcome": v.outcome },
    h("dt", {}, t("replay.field.verdict")),
    h("dd", { class: `outcome-${v.outcome}` }, outcomeText(v.outcome)),
    h("dt", {}, t("replay.verdict.rules")),
    h("dd", {}, (v.rules ?? []).map((r) => `${r} ${ruleTitle(r)}`).join("; ") || "—"),
    h("dt", {}, t("replay.verdict.evidence")),
    h("dd", {}, (v.evidence ?? []).map((n) => `#${n}`).join(", ") || "—"),
    h("dt", {}, t("replay.verdict.by")),
    h("dd", {}, `${v.actor}, ${when(v.time)} (#${v.record})`),
    v.note ? h("dt", {}, t("replay.verdict.note")) : null,
    v.note ? h("dd", {}, v.note) : null,
    h("dt", {}, t("replay.verdict.effective")),
    h("dd", { class: `outcome-${data.effective ?? "none"}`, id: "effective" }, outcomeText(data.effective)),
    data.appeal_deadline ? h("dt", {}, t("replay.appeal.deadline")) : null,
    data.appeal_deadline ? h("dd", {}, formatDeadline(data.appeal_deadline, lang())) : null,
  );
}

function appealView(ap: Appeal | undefined, data: Timeline): HTMLElement {
  const box = h("section", { class: "appeal", id: "appeal", "aria-labelledby": "appeal-title" }, h("h3", { id: "appeal-title" }, t("replay.appeal.title")));
  if (!ap) {
    box.append(h("p", { class: "empty" }, t("replay.appeal.none")));
    return box;
  }
  box.append(
    h("p", { class: "meta" }, t("replay.appeal.filed", { time: when(ap.filed), entry: String(ap.entry) })),
    h("blockquote", { class: "appeal-text" }, ap.text),
  );
  if (ap.decision) {
    const d = ap.decision;
    box.append(
      h("p", { class: `decision decision-${d.outcome}`, id: "decision" },
        h("strong", {}, appealText(d.outcome)), " — ", t("replay.appeal.decided_by", { user: d.actor_name, time: when(d.time), entry: String(d.entry) })),
      h("blockquote", { class: "decision-reasons" }, d.reasons),
    );
    return box;
  }
  if (me?.role !== "auditor") {
    box.append(h("p", { class: "hint" }, t("replay.appeal.auditor_decides")));
    return box;
  }
  const reasons = h("textarea", { id: "reasons", rows: 4, required: true, maxlength: 8000 });
  const choice = (value: DecisionOutcome, label: string): HTMLElement => {
    const input = h("input", { type: "radio", name: "outcome", id: `outcome-${value}`, value, required: true });
    return h("span", { class: "choice" }, input, h("label", { for: `outcome-${value}` }, label));
  };
  const msg = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "decide" },
    h("fieldset", {}, h("legend", {}, t("replay.appeal.decide")), choice("upheld", t("replay.appeal.uphold")), choice("overturned", t("replay.appeal.overturn"))),
    h("label", { for: "reasons" }, t("replay.appeal.reasons")),
    reasons,
    h("p", { class: "hint" }, t("replay.appeal.reasons_hint")),
    h("button", { type: "submit" }, t("replay.appeal.submit")),
    msg,
  );
  form.addEventListener("submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    const picked = form.querySelector<HTMLInputElement>('input[name="outcome"]:checked');
    api<Appeal>("POST", `/api/replay/sittings/${encodeURIComponent(data.sitting.id)}/appeal/decision`, { outcome: picked?.value ?? "", reasons: reasons.value })
      .then(() => openSitting(data.sitting.id))
      .catch((err: unknown) => (msg.textContent = errText(err)));
  });
  box.append(form);
  return box;
}

function sittingView(data: Timeline): HTMLElement {
  const s = data.sitting;
  const back = h("a", { href: "#", class: "back" }, t("replay.back"));
  const print = h("button", { type: "button", id: "print" }, t("replay.report.print"));
  print.addEventListener("click", () => window.print());
  const roomScans = data.records.filter((r) => r.event?.rule === "10.7" || r.action?.kind === "room_scan");
  const actions = data.records.filter((r) => r.action);
  return h(
    "main",
    { class: "replay", "data-sitting": s.id },
    h("div", { class: "replay-head" },
      back,
      h("h2", {}, t("replay.sitting", { pin: s.pin })),
      h("p", { class: "meta" }, `${s.competition} · ${s.stage} · ${when(data.start)} – ${when(data.end)}`),
      h("div", { id: "verify-badge", class: "verify-badge", role: "status", "aria-live": "polite" }),
      print),
    h("div", { class: "replay-body" },
      h("div", { class: "replay-main" }, playerView(data), timelineView(data),
        h("section", { "aria-labelledby": "records-title" }, h("h3", { id: "records-title" }, t("replay.records")),
          h("ol", { class: "records" }, ...data.records.map(recordLine)))),
      h("aside", { class: "replay-side" },
        h("section", {}, h("h3", {}, t("replay.verdict.title")), verdictView(data.verdict, data)),
        appealView(data.appeal, data),
        h("section", {}, h("h3", {}, t("replay.evidence.title")), evidenceView(data.evidence)),
        h("section", {}, h("h3", {}, t("replay.room_scans")),
          roomScans.length ? h("ol", { class: "records" }, ...roomScans.map(recordLine)) : h("p", { class: "empty" }, t("replay.room_scans.none"))),
        h("section", {}, h("h3", {}, t("replay.actions")),
          actions.length ? h("ol", { class: "records" }, ...actions.map(recordLine)) : h("p", { class: "empty" }, t("replay.actions.none"))))),
    h("section", { class: "report", id: "report" }),
  );
}

// ---- the printable report ----

function renderReport(): void {
  const el = document.getElementById("report");
  if (!el || !tl) return;
  const data = tl;
  const v = verification;
  const row = (...cells: string[]): HTMLTableRowElement => h("tr", {}, ...cells.map((c) => h("td", {}, c)));
  const verifyText = !v
    ? t("replay.verify.running")
    : v.ok && v.checkpoint
      ? t("replay.verify.ok", { n: String(v.checkpoint.number) })
      : v.checked
        ? `${t("replay.verify.failed")}: ${v.problem?.message[lang()] ?? v.problem?.detail ?? ""}`
        : `${t("replay.verify.unchecked")}: ${v.error ?? ""}`;
  const ap = data.appeal;
  clear(el);
  el.append(
    h("h1", {}, t("replay.report.title", { pin: data.sitting.pin })),
    h("p", {}, t("replay.report.generated", { time: when(new Date().toISOString()), user: me?.username ?? "" })),
    h("table", { class: "report-facts" }, h("tbody", {},
      row(t("replay.field.pin"), data.sitting.pin),
      row(t("replay.field.competition"), data.sitting.competition),
      row(t("replay.field.stage"), data.sitting.stage),
      row(t("replay.report.period"), `${when(data.start)} – ${when(data.end)}`),
      row(t("replay.field.verdict"), data.verdict ? `${outcomeText(data.verdict.outcome)} (${(data.verdict.rules ?? []).join(", ") || "—"}), ${data.verdict.actor}, ${when(data.verdict.time)}` : t("replay.verdict.none")),
      row(t("replay.verdict.effective"), outcomeText(data.effective)),
      row(t("replay.report.verification"), verifyText),
      row(t("replay.report.entries"), String(data.entries)))),
    v?.checkpoint ? h("pre", { class: "report-checkpoint" }, `${v.checkpoint.signed}\n${t("replay.report.key")}: ${v.checkpoint.key}`) : "",
    h("h2", {}, t("replay.appeal.title")),
    ap
      ? h("div", {},
        h("p", {}, t("replay.appeal.filed", { time: when(ap.filed), entry: String(ap.entry) })),
        h("blockquote", {}, ap.text),
        ap.decision
          ? h("p", {}, `${appealText(ap.decision.outcome)} — ${t("replay.appeal.decided_by", { user: ap.decision.actor_name, time: when(ap.decision.time), entry: String(ap.decision.entry) })}: ${ap.decision.reasons}`)
          : h("p", {}, t("replay.appeal.pending")))
      : h("p", {}, t("replay.appeal.none")),
    h("h2", {}, t("replay.records")),
    h("table", { class: "report-records" },
      h("thead", {}, h("tr", {}, ...[t("replay.report.n"), t("replay.report.time"), t("replay.report.entry"), t("replay.report.what")].map((c) => h("th", {}, c)))),
      h("tbody", {}, ...data.records.map((r) => row(
        `#${r.n}`, when(r.time), r.entry >= 0 ? String(r.entry) : "—",
        r.event
          ? `${t("ui.rule", { rule: r.event.rule })} ${ruleTitle(r.event.rule)} · ${severityText(r.event.severity)} · ${eventText(r.event)}`
          : r.action ? `${r.action.actor}: ${actionText(r.action)}` : "",
      )))),
    h("h2", {}, t("replay.evidence.title")),
    h("table", { class: "report-records" }, h("tbody", {}, ...data.evidence.map((e) => row(`#${e.n}`, when(e.time), e.kind, e.sha256)))),
    h("h2", {}, t("replay.recordings")),
    h("table", { class: "report-records" }, h("tbody", {}, ...data.recordings.map((r) => row(
      r.kind === "camera" ? t("replay.lane.camera") : t("replay.lane.screen"),
      `${when(r.start)} – ${when(r.end)}`, t("replay.entry", { index: String(r.entry) }), r.deleted ? t("replay.report.deleted") : r.sha256,
    )))),
  );
}

// ---- routing and rendering ----

function render(): void {
  document.title = t("replay.title");
  const parts: HTMLElement[] = [header()];
  if (!me) parts.push(h("main", {}, loginView()));
  else if (me.role !== "auditor" && me.role !== "admin") parts.push(h("main", {}, h("p", { class: "error", role: "alert" }, t("replay.not_auditor"))));
  else if (location.hash.startsWith("#s=")) {
    if (tl) parts.push(sittingView(tl));
    else parts.push(h("main", {}, message ? h("p", { class: "error", role: "alert" }, message) : h("p", { class: "empty" }, t("replay.loading"))));
  } else parts.push(searchView());
  root.replaceChildren(...parts);
  if (tl && location.hash.startsWith("#s=")) {
    renderBadge();
    renderReport();
    if (player) movePlayhead(player.position);
  }
}

function route(): void {
  const id = location.hash.startsWith("#s=") ? decodeURIComponent(location.hash.slice(3)) : "";
  if (id && me && (!tl || tl.sitting.id !== id)) {
    void openSitting(id);
    return;
  }
  if (!id) {
    player?.close();
    player = null;
    tl = null;
    if (me && !search) {
      void runSearch();
      return;
    }
  }
  render();
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  await loadCatalogue(initialLang(params.get("lang")));
  try {
    me = await api<Me>("GET", "/api/me");
  } catch {
    me = null;
  }
  window.addEventListener("hashchange", route);
  onLangChange(() => {
    const pos = player?.position;
    render();
    if (pos !== undefined) player?.seek(pos);
  });
  route();
}

void main();
