// How an event reads for a person: the rule it concerns, the rule's title,
// and the agent's text for it (what happened, what to do), in the current
// language.

import type { Action, Event, FeedRecord } from "./gen/protocol";
import { h, formatTime } from "./dom";
import { t, has } from "./i18n";

export function eventText(e: Event): string {
  return has(e.key) ? t(e.key, e.args) : e.key;
}

export function ruleTitle(rule: string): string {
  return t(`rule.${rule}.title`);
}

export function actionText(a: Action): string {
  let what = t(`ui.action.${a.kind}`, { rule: a.rule ?? "" });
  if (a.target) what += ` (#${a.target})`;
  if (a.verdict) what += `: ${a.verdict.outcome}${a.verdict.rules?.length ? ` (${a.verdict.rules.join(", ")})` : ""}`;
  return a.note ? `${what}: ${a.note}` : what;
}

/** A feed line for a record: an agent's event or an action on the sitting. */
export function recordItem(r: FeedRecord): HTMLLIElement {
  if (r.event) return eventItem(r, r.event);
  const a = r.action as Action;
  return h(
    "li",
    { class: `action action-${a.kind}`, "data-n": r.n, "data-action": a.kind, "data-rule": a.rule },
    h("time", { datetime: a.time }, formatTime(a.time)),
    " ",
    h("span", { class: "actor" }, a.actor),
    h("div", { class: "text" }, actionText(a)),
  );
}

export function eventItem(r: FeedRecord, e: Event): HTMLLIElement {
  const kind = e.kind === "start" ? t("ui.event.start") : e.kind === "end" ? t("ui.event.end") : "";
  return h(
    "li",
    { class: `event sev-${e.severity} kind-${e.kind}`, "data-rule": e.rule, "data-seq": e.seq, "data-n": r.n },
    h("time", { datetime: e.time }, formatTime(e.time)),
    " ",
    h("span", { class: "rule" }, t("ui.rule", { rule: e.rule })),
    " ",
    h("span", { class: "rule-title" }, ruleTitle(e.rule)),
    kind ? h("span", { class: "kind" }, ` · ${kind}`) : null,
    h("div", { class: "text" }, eventText(e)),
  );
}
