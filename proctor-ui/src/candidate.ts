// The candidate's page for one sitting, opened by the agent. It shows, in
// the candidate's language, whether the proctoring is connected, each event
// that concerns them (which rule, what to do), and the proctor's messages.

import "./style.css";
import type { CandidateToServerMessage, Command, FeedRecord, ServerToCandidateMessage, Status } from "./gen/protocol";
import { Channel, type ChannelState } from "./channel";
import { h } from "./dom";
import { recordItem, ruleTitle } from "./events";
import { initialLang, loadCatalogue, t, onLangChange, has } from "./i18n";
import { langSwitch } from "./lang-switch";

const root = document.getElementById("app") as HTMLElement;
const params = new URLSearchParams(location.hash.slice(1));
const token = params.get("t") ?? "";

let status: Status | null = null;
let conn: ChannelState = "connecting";
let fatal = "";
const records: FeedRecord[] = [];
const notices: Command[] = [];

// What the candidate sees of the proctor's actions: what concerns them
// directly, not the proctor's review of flags.
function candidateSees(kind: string | undefined): boolean {
  return kind === "pause" || kind === "resume" || kind === "end" || kind === "room_scan";
}

function commandText(c: Command): string {
  if (c.text) return c.text;
  if (c.key && has(c.key)) return t(c.key, c.args);
  return "";
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
  const noticeList = notices
    .slice()
    .reverse()
    .map((c) =>
      h(
        "li",
        { class: `notice notice-${c.kind}`, role: c.kind === "warning" ? "alert" : undefined },
        h("strong", {}, c.kind === "warning" ? t("ui.candidate.warning", { rule: c.rule ?? "" }) : t("ui.candidate.message")),
        c.rule ? h("span", { class: "rule-title" }, ` ${ruleTitle(c.rule)}`) : null,
        h("div", {}, commandText(c)),
      ),
    );
  const events = records
    .filter((r) => (r.event ? r.event.severity !== "info" || r.event.kind === "end" : candidateSees(r.action?.kind)))
    .slice()
    .reverse()
    .map(recordItem);
  root.replaceChildren(
    h("header", { class: "top" }, h("h1", {}, t("ui.candidate.title")), langSwitch()),
    h(
      "main",
      { class: "candidate" },
      h("p", { class: `conn conn-${conn}`, role: "status", id: "conn" }, fatal || t(`ui.conn.${conn}`)),
      state,
      noticeList.length ? h("section", {}, h("h2", {}, t("ui.candidate.notices")), h("ul", { class: "notices" }, ...noticeList)) : null,
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
  let last = 0;
  const ch = new Channel<ServerToCandidateMessage, CandidateToServerMessage>({
    path: `/v1/candidate?t=${encodeURIComponent(token)}`,
    onOpen: () => undefined,
    onMessage: (m) => {
      switch (m.type) {
        case "status":
          status = m.body;
          break;
        case "record":
          if (m.body.n <= last) return;
          last = m.body.n;
          records.push(m.body);
          break;
        case "command":
          notices.push(m.body);
          break;
        case "error":
          fatal = m.body.code === "unauthorized" ? t("ui.candidate.link_invalid") : m.body.message;
          break;
      }
      render();
    },
    onState: (s) => {
      conn = s;
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
  render();
}

void main();
