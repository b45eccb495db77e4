// Flags as the server defines them (server/proctoring/assess): an agent
// event that needs a proctor's review — a start or an instant whose
// severity is not info. The latest flag_confirmed / flag_dismissed action
// that targets the event's record is its review.

import type { Action, Event, FeedRecord, RuleID, RuleState } from "./gen/protocol";
import { ruleIDValues } from "./gen/protocol";

export function isFlag(e: Event): boolean {
  return e.kind !== "end" && e.severity !== "info";
}

export interface FlagView {
  rec: FeedRecord;
  event: Event;
  review: { rec: FeedRecord; action: Action } | null;
}

/** The flags among a sitting's records, each with its latest review. */
export function flagsOf(records: readonly FeedRecord[]): FlagView[] {
  const out: FlagView[] = [];
  const byN = new Map<number, FlagView>();
  for (const r of records) {
    if (r.event && isFlag(r.event)) {
      const f: FlagView = { rec: r, event: r.event, review: null };
      out.push(f);
      byN.set(r.n, f);
    }
    const a = r.action;
    if (a && (a.kind === "flag_confirmed" || a.kind === "flag_dismissed") && a.target) {
      const f = byN.get(a.target);
      if (f) f.review = { rec: r, action: a };
    }
  }
  return out;
}

export const rules: readonly RuleID[] = ruleIDValues;

/** Badge states from the most to the least serious. */
export const ruleStates: readonly RuleState[] = ["violation", "suspected", "unchecked", "clear", "no_data"];

/** A short mark per state, so a badge does not rely on colour alone. */
export function stateMark(s: RuleState): string {
  switch (s) {
    case "violation":
      return "!";
    case "suspected":
      return "?";
    case "unchecked":
      return "∅";
    case "clear":
      return "✓";
    default:
      return "·";
  }
}
