// The candidate's page for one sitting, opened by the agent. It shows, in
// the candidate's language, whether the proctoring is connected, each event
// that concerns them (which rule, what to do), and the proctor's messages.

import "./style.css";
import type { Action, CandidateToServerMessage, ConsentNotice, ConsentState, FeedRecord, ServerToCandidateMessage, Status } from "./gen/protocol";
import { api, ApiError } from "./api";
import { Channel, type ChannelState } from "./channel";
import { h, formatTime } from "./dom";
import { eventText, recordItem, ruleTitle } from "./events";
import { initialLang, lang, loadCatalogue, t, onLangChange, has } from "./i18n";
import { langSwitch } from "./lang-switch";

const root = document.getElementById("app") as HTMLElement;
const params = new URLSearchParams(location.hash.slice(1));
const token = params.get("t") ?? "";

let status: Status | null = null;
let conn: ChannelState = "connecting";
let everOpen = false;
let fatal = "";
const records: FeedRecord[] = [];

// The consent notice and the candidate's decision (server/consent): the
// agent records nothing until they agree here.
let notice: ConsentNotice | null = null;
let consent: ConsentState = { given: false, declined: false };
let consentBusy = false;
let consentError = "";

async function decide(given: boolean): Promise<void> {
  if (!notice) return;
  consentBusy = true;
  consentError = "";
  render();
  try {
    consent = await api<ConsentState>("POST", "/v1/consent", { given, notice: notice.digest, lang: lang() }, token);
  } catch (err) {
    consentError = errorText(err);
  } finally {
    consentBusy = false;
  }
  render();
}

/** A refused request in the page's language, else the server's words. */
function errorText(err: unknown): string {
  return err instanceof ApiError && has(err.key) ? t(err.key) : err instanceof Error ? err.message : String(err);
}

// Acknowledgements being sent, by record number, and the last failure.
const acking = new Set<number>();
let ackError = "";

/** "I have read this" for the message or warning in record n (logged). */
async function acknowledge(n: number): Promise<void> {
  acking.add(n);
  ackError = "";
  render();
  try {
    await api("POST", "/v1/acknowledge", { record: n }, token);
  } catch (err) {
    ackError = errorText(err);
  } finally {
    acking.delete(n);
  }
  render();
}

/** The answer to a message or warning: the button, or when it was read. */
function ackLine(n: number): HTMLElement {
  const done = records.find((r) => r.action?.kind === "acknowledged" && r.action.target === n);
  if (done?.action) return h("p", { class: "acked", "data-acked": n }, t("ui.candidate.acked", { time: formatTime(done.action.time) }));
  const b = h("button", { type: "button", class: "ack", "data-ack": n, disabled: acking.has(n) }, t("ui.candidate.ack"));
  b.addEventListener("click", () => void acknowledge(n));
  return b;
}

// The system checks the page shows, each with its state and fix: remote
// access (10.9), headsets (10.10), other materials and displays (10.11).
const checkedRules = ["10.9", "10.10", "10.11"] as const;

type CheckState = "pending" | "ok" | "partial" | "problem" | "unchecked";

/** A rule's check as the records tell it: each check's pre-check outcome
 * (could it run?), then every span the continuous checks opened and
 * closed since. */
function checkOf(rule: string): { state: CheckState; problems: string[] } {
  const open = new Map<string, string>();
  const ran = new Map<string, boolean>();
  for (const r of records) {
    const e = r.event;
    if (!e || e.rule !== rule) continue;
    if (e.kind === "instant") {
      ran.set(e.subject, e.severity !== "unchecked");
      continue;
    }
    if (e.kind === "end") open.delete(e.subject);
    else if (e.severity === "violation" || e.severity === "suspected") open.set(e.subject, eventText(e));
  }
  if (open.size) return { state: "problem", problems: [...open.values()] };
  const outcomes = [...ran.values()];
  if (!outcomes.length) return { state: "pending", problems: [] };
  if (outcomes.every((x) => !x)) return { state: "unchecked", problems: [] };
  return { state: outcomes.every((x) => x) ? "ok" : "partial", problems: [] };
}

/** The pre-check: each rule with a plain state and, for a problem, what
 * was found and what to do; it follows the checks live. */
function checksSection(): HTMLElement | null {
  if (!consent.given) return null;
  const rows = checkedRules.map((rule) => {
    const c = checkOf(rule);
    return h("li", { class: `check check-${c.state}`, "data-rule": rule, "data-state": c.state },
      h("strong", {}, t("ui.rule", { rule }), " ", ruleTitle(rule)), " — ",
      h("span", { class: "check-state" }, t(`ui.check.${c.state}`)),
      ...c.problems.map((p) => h("div", { class: "check-found" }, p)),
      c.state === "problem" ? h("div", { class: "check-fix" }, t(`rule.${rule}.fix`)) : null,
      c.state === "unchecked" ? h("div", { class: "check-fix" }, t("ui.check.unchecked_means")) : null,
      c.state === "partial" ? h("div", { class: "check-fix" }, t("ui.check.partial_means")) : null);
  });
  const states = checkedRules.map((r) => checkOf(r).state);
  const summary = states.includes("problem") ? "problem" : states.includes("pending") ? "pending" : "ready";
  return h("section", { class: "checks", id: "checks", "aria-labelledby": "checks-title" },
    h("h2", { id: "checks-title" }, t("ui.check.title")),
    h("ul", { class: "check-list" }, ...rows),
    h("p", { class: `check-summary summary-${summary}`, id: "checks-summary", role: "status" }, t(`ui.check.summary_${summary}`)));
}

/** The room scan (rule 10.7): while the agent measures, how to turn with a
 * turning camera; then the measured rotation as a ring, and for a scan
 * that did not pass, what went wrong and how to do it again. */
function roomScan(): HTMLElement | null {
  let request: FeedRecord | undefined;
  let result: FeedRecord | undefined;
  for (const r of records) {
    if (r.event?.subject === "roomscan:request") request = r;
    if (r.event?.subject === "roomscan") result = r;
  }
  if (!request) return null;
  const done = result && result.n > request.n ? result.event : undefined;
  const degrees = Math.min(360, Number(done?.args?.["degrees"] ?? "0"));
  const passed = done?.severity === "info";
  const ring = h("div", {
    class: `scan-ring ${done ? (passed ? "scan-passed" : "scan-failed") : "scan-running"}`,
    role: "img",
    "aria-label": done ? t("ui.scan.measured", { degrees: String(degrees) }) : t("ui.scan.measuring"),
  }, h("span", { class: "scan-center" }, done ? `${degrees}°` : "360°"));
  // Through the CSSOM: the page's CSP allows no style attributes.
  if (done) ring.style.setProperty("--scan-deg", `${degrees}deg`);
  return h("section", { class: "room-scan", id: "room-scan", "data-state": done ? (passed ? "passed" : "failed") : "running", "aria-labelledby": "scan-title" },
    h("h2", { id: "scan-title" }, t("ui.scan.title")),
    ring,
    done
      ? h("p", { id: "scan-result", role: "status" }, eventText(done))
      : h("ol", { class: "scan-steps" }, ...["1", "2", "3"].map((n) => h("li", {}, t(`ui.scan.step${n}`)))),
    done && !passed ? h("p", { class: "check-fix", id: "scan-retry" }, t("ui.scan.retry")) : null);
}

/** The ID step (rule 10.1): once the agent asks, a guide frame and the
 * seconds until the photo, and who sees it (HR alone, p.74-1); then a
 * line saying it was taken. */
function idStep(): HTMLElement | null {
  let prompt: FeedRecord | undefined;
  let taken: FeedRecord | undefined;
  for (const r of records) {
    if (r.event?.subject === "idphoto:prompt") prompt = r;
    if (r.event?.subject === "id.photo") taken = r;
  }
  if (!prompt?.event) return null;
  if (taken && taken.n > prompt.n) return h("p", { class: "id-done", id: "id-done" }, t("ui.id.done"));
  const wait = Number(prompt.event.args?.["seconds"] ?? "10");
  const left = Math.max(0, Math.ceil(wait - (Date.now() - new Date(prompt.event.time).getTime()) / 1000));
  return h("section", { class: "id-step", id: "id-step", "aria-labelledby": "id-title" },
    h("h2", { id: "id-title" }, t("ui.id.title")),
    h("div", { class: "id-guide", "aria-hidden": "true" }, h("div", { class: "id-card" }, h("div", { class: "id-photo" }), h("div", { class: "id-lines" }))),
    h("p", { id: "id-count", role: "timer", "aria-live": "polite" }, left > 0 ? t("ui.id.hold", { seconds: String(left) }) : t("ui.id.now")),
    h("p", { class: "meta", id: "id-who" }, t("ui.id.who")));
}

/** The notice with the two answers; once given, one line saying so. */
function consentSection(): HTMLElement | null {
  if (!notice) return null;
  if (consent.given) {
    return h("p", { class: "consent-given", id: "consent-given" }, t("consent.given", { time: consent.time ? formatTime(consent.time) : "" }));
  }
  const items = notice.items.map((it) =>
    h("li", { "data-what": it.what }, h("strong", {}, t(`consent.what.${it.what}`)), " — ", t("consent.why", { rules: it.rules.join(", ") }),
      h("span", { class: "rule-titles" }, ` (${it.rules.map(ruleTitle).join("; ")})`)));
  const agree = h("button", { type: "button", id: "consent-agree", class: "primary", disabled: consentBusy }, t("consent.agree"));
  agree.addEventListener("click", () => void decide(true));
  const decline = h("button", { type: "button", id: "consent-decline", disabled: consentBusy }, t("consent.decline"));
  decline.addEventListener("click", () => void decide(false));
  return h("section", { class: "consent", id: "consent", "aria-labelledby": "consent-title" },
    h("h2", { id: "consent-title" }, t("consent.title")),
    h("p", {}, t("consent.intro")),
    h("ul", { class: "consent-items" }, ...items),
    h("p", { id: "consent-who" }, t("consent.who")),
    h("p", { id: "consent-kept" }, t("consent.kept", { days: String(notice.retention_days) })),
    consent.declined ? h("p", { class: "consent-declined", id: "consent-declined", role: "alert" }, t("consent.declined")) : null,
    h("div", { class: "consent-actions" }, agree, consent.declined ? null : decline),
    consentBusy ? h("p", { class: "meta", role: "status" }, t("consent.sending")) : null,
    consentError ? h("p", { class: "refusal", role: "alert", id: "consent-error" }, consentError) : null);
}

// What the candidate reads of the proctor's actions: messages, warnings,
// the room-scan request, pause, resume and the end — never the proctor's
// review of flags or notes meant for the file. The actions are records, so
// a reloaded page shows them again, once each.
const noticeKinds = new Set(["message", "warning", "room_scan", "pause", "resume", "end"]);

function noticeTitle(a: Action): string {
  switch (a.kind) {
    case "warning":
      return t("ui.candidate.warning", { rule: a.rule ?? "" });
    case "room_scan":
      return t("dashboard.cand.room_scan");
    case "pause":
      return t("dashboard.cand.paused");
    case "resume":
      return t("dashboard.cand.resumed");
    case "end":
      return t("dashboard.cand.ended");
    default:
      return t("ui.candidate.message");
  }
}

// The texts of a notice, in the candidate's language: what the catalogue
// says for the action, then the proctor's own words where they are meant
// for the candidate (a message, a warning, the reason for ending).
function noticeTexts(a: Action): string[] {
  switch (a.kind) {
    case "message":
      return [a.note ?? ""];
    case "warning": {
      const fix = `rule.${a.rule ?? ""}.fix`;
      return [has(fix) ? t(fix) : "", a.note ?? ""].filter(Boolean);
    }
    case "room_scan":
      return [t("dashboard.cmd.room_scan")];
    case "pause":
      return [t("dashboard.cmd.pause")];
    case "resume":
      return [t("dashboard.cmd.resume")];
    case "end":
      return [t("dashboard.cmd.end", { reason: a.note ?? "" })];
  }
  return [];
}

// Paused between a pause and a resume (or the end).
function paused(): boolean {
  let p = false;
  for (const r of records) {
    if (r.action?.kind === "pause") p = true;
    if (r.action?.kind === "resume" || r.action?.kind === "end") p = false;
  }
  return p;
}

function render(): void {
  document.title = t("ui.candidate.title");
  const state = status
    ? h(
        "dl",
        { class: "status" },
        h("dt", {}, t("ui.candidate.pin")),
        h("dd", { id: "pin" }, status.sitting.pin),
        h("dt", {}, t("ui.candidate.stage")),
        h("dd", {}, status.sitting.stage),
        h("dt", {}, t("ui.candidate.proctoring")),
        h("dd", { id: "state", class: `state-${status.state}` }, t(`ui.state.${status.state}`)),
        h("dt", {}, t("ui.candidate.camera")),
        h("dd", { id: "camera" }, status.media ? t("ui.candidate.camera_on") : t("ui.candidate.camera_off")),
      )
    : null;
  const noticeList = records
    .filter((r) => r.action && noticeKinds.has(r.action.kind))
    .slice()
    .reverse()
    .map((r) => {
      const a = r.action as Action;
      return h(
        "li",
        {
          class: `notice notice-${a.kind}`,
          role: a.kind === "warning" || a.kind === "room_scan" ? "alert" : undefined,
          "data-kind": a.kind,
          "data-n": r.n,
        },
        h("strong", {}, noticeTitle(a)),
        a.rule && a.kind === "warning" ? h("span", { class: "rule-title" }, ` ${ruleTitle(a.rule)}`) : null,
        h("time", { datetime: a.time }, ` ${formatTime(a.time)}`),
        ...noticeTexts(a).map((x) => h("div", { class: "notice-text" }, x)),
        a.kind === "message" || a.kind === "warning" ? ackLine(r.n) : null,
      );
    });
  const events = records
    .filter((r) => r.event && (r.event.severity !== "info" || r.event.kind === "end"))
    .slice()
    .reverse()
    .map(recordItem);
  root.replaceChildren(
    h("header", { class: "top" }, h("h1", {}, t("ui.candidate.title")), langSwitch()),
    h(
      "main",
      { class: "candidate" },
      h("p", { class: `conn conn-${conn}`, role: "status", id: "conn" }, fatal || t(`ui.conn.${conn}`)),
      // A lost connection, calmly: nothing is lost, it comes back by itself.
      !fatal && conn !== "open" && everOpen ? h("p", { class: "conn-calm", id: "conn-calm" }, t("ui.conn.calm")) : null,
      paused() ? h("p", { class: "paused-banner", role: "alert", id: "paused" }, t("dashboard.cand.paused_banner")) : null,
      consentSection(),
      state,
      roomScan(),
      idStep(),
      checksSection(),
      noticeList.length ? h("section", {}, h("h2", {}, t("ui.candidate.notices")), h("ul", { class: "notices" }, ...noticeList),
        ackError ? h("p", { class: "refusal", role: "alert" }, ackError) : null) : null,
      h(
        "section",
        {},
        h("h2", {}, t("ui.candidate.events")),
        events.length ? h("ul", { class: "feed", id: "events", "aria-live": "assertive" }, ...events) : h("p", { class: "empty" }, t("ui.candidate.no_events")),
      ),
      h("p", { class: "hint" }, t("ui.candidate.rules_hint")),
    ),
  );
}

async function main(): Promise<void> {
  await loadCatalogue(initialLang(params.get("lang")));
  onLangChange(render);
  if (!token) {
    fatal = t("ui.candidate.link_invalid");
    render();
    return;
  }
  try {
    const v = await api<{ notice: ConsentNotice; consent: ConsentState }>("GET", "/v1/consent", undefined, token);
    notice = v.notice;
    consent = v.consent;
  } catch {
    // The channel says why the link does not work.
  }
  let last = 0;
  const ch = new Channel<ServerToCandidateMessage, CandidateToServerMessage>({
    path: `/v1/candidate?t=${encodeURIComponent(token)}`,
    onOpen: () => undefined,
    onMessage: (m) => {
      switch (m.type) {
        case "status":
          status = m.body;
          if (m.body.notice) notice = m.body.notice;
          break;
        case "record":
          if (m.body.n <= last) return;
          last = m.body.n;
          records.push(m.body);
          if (m.body.action?.kind === "consent") consent = { given: true, declined: false, time: m.body.action.time };
          if (m.body.action?.kind === "consent_declined" && !consent.given) consent = { given: false, declined: true, time: m.body.action.time };
          break;
        case "command":
          // Its action record came first and is shown; nothing to add.
          break;
        case "error":
          fatal = m.body.code === "unauthorized" ? t("ui.candidate.link_invalid") : m.body.message;
          break;
      }
      render();
    },
    onState: (s) => {
      conn = s;
      if (s === "open") everOpen = true;
      if (s === "open") {
        records.length = 0;
        last = 0;
      }
      render();
    },
    onFatal: (code) => {
      fatal = code === 4401 ? t("ui.candidate.link_invalid") : t("ui.conn.closed");
      render();
    },
  });
  window.setInterval(() => ch.send("heartbeat", { time: new Date().toISOString() }), 20000);
  // The ID step's countdown.
  window.setInterval(() => {
    if (document.getElementById("id-step")) render();
  }, 1000);
  render();
}

void main();
