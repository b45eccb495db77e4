// The replay and cabinet API's answers (server/replay), as the pages read
// them. The Go types are the source: Timeline, Span, Recording, Evidence,
// PublishedVerdict, Appeal, Decision, Verification, SearchResult, Cabinet.

import type { Action, Event, FeedRecord, RuleID, Severity, SittingInfo, SittingState, Verdict, VerdictOutcome } from "./gen/protocol";

export type { Action, Event, FeedRecord, RuleID, Severity, VerdictOutcome };

export type DecisionOutcome = "upheld" | "overturned";

export interface SittingBrief {
  id: string;
  pin: string;
  competition: string;
  stage: string;
  state: SittingState;
  created: string;
  ended?: string;
  verdict?: VerdictOutcome;
  effective?: VerdictOutcome;
  appeal?: "pending" | DecisionOutcome;
}

export interface SearchResult {
  sittings: SittingBrief[];
  more?: boolean;
}

export interface Item extends FeedRecord {
  time: string;
  entry: number;
}

export type SpanKind = "rule" | "link" | "pause";

export interface Span {
  kind: SpanKind;
  rule?: RuleID;
  subject?: string;
  severity?: Severity;
  start: string;
  end: string;
  open?: boolean;
  instant?: boolean;
  start_n: number;
  end_n?: number;
  key?: string;
  args?: Record<string, string>;
}

export interface Recording {
  kind: "camera" | "screen";
  start: string;
  end: string;
  name: string;
  url?: string;
  sha256: string;
  size: number;
  video: boolean;
  audio: boolean;
  entry: number;
  deleted?: boolean;
  deleted_by?: number;
}

export interface Evidence {
  n: number;
  time: string;
  rule: RuleID;
  id: string;
  kind: string;
  mime: string;
  sha256: string;
  size: number;
  url: string;
  /** The ID-document photo: HR only (p.74-1), no url. */
  hr_only?: boolean;
}

export interface PublishedVerdict extends Verdict {
  record: number;
  actor: string;
  time: string;
  note?: string;
}

export interface Decision {
  outcome: DecisionOutcome;
  reasons: string;
  actor: string;
  actor_name: string;
  time: string;
  effective: VerdictOutcome;
  entry: number;
}

export interface Appeal {
  sitting: string;
  text: string;
  text_sha256: string;
  lang: string;
  filed: string;
  deadline: string;
  verdict_record: number;
  entry: number;
  decision?: Decision;
}

export interface Timeline {
  sitting: SittingBrief;
  start: string;
  end: string;
  records: Item[];
  spans: Span[];
  recordings: Recording[];
  evidence: Evidence[];
  verdict?: PublishedVerdict;
  effective?: VerdictOutcome;
  appeal?: Appeal;
  appeal_deadline?: string;
  entries: number;
}

export interface CheckpointView {
  number: number;
  size: number;
  root: string;
  time: string;
  signed: string;
  key: string;
}

export interface Problem {
  index: number;
  record?: number;
  reason: string;
  path?: string;
  detail: string;
  message: Record<string, string>;
}

export interface Verification {
  ok: boolean;
  checked: boolean;
  error?: string;
  checkpoint?: CheckpointView;
  entries: number;
  files: number;
  records: number;
  deleted: number;
  problem?: Problem;
  problems: number;
  whole_log?: boolean;
}

export interface CabinetVerdict {
  outcome: VerdictOutcome;
  rules?: RuleID[];
  time: string;
}

export interface Cabinet {
  sitting: SittingInfo;
  state: SittingState;
  verdict?: CabinetVerdict;
  effective?: VerdictOutcome;
  appeal?: {
    text: string;
    filed: string;
    decision?: { outcome: DecisionOutcome; reasons: string; time: string };
  };
  deadline?: string;
  appeal_days: number;
  can_appeal: boolean;
  why?: string;
}

export interface Me {
  username: string;
  role: string;
}

/** Milliseconds since the epoch of an RFC 3339 time. */
export function ms(iso: string): number {
  return new Date(iso).getTime();
}

/** The last moment of an appeal period, in Kazakhstan's time (UTC+5, one
 * zone since March 2024): the period ends at midnight, so this is the end
 * of the last working day, e.g. "26.11.2026, 23:59 (UTC+5)". */
export function formatDeadline(iso: string, lang: string): string {
  const locale = lang === "kk" ? "kk-KZ" : lang === "ru" ? "ru-RU" : "en-GB";
  const s = new Date(new Date(iso).getTime() - 1000).toLocaleString(locale, {
    timeZone: "Etc/GMT-5", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  return `${s} (UTC+5)`;
}

/** A date and time for a person, in the page's language. */
export function formatDateTime(iso: string, lang: string): string {
  const locale = lang === "kk" ? "kk-KZ" : lang === "ru" ? "ru-RU" : "en-GB";
  return new Date(iso).toLocaleString(locale, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}
