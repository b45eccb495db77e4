// The competition workflow's JSON shapes (server/workflow/httpapi), as the
// HR screens and the candidate's inbox read them, and the date formats
// they show: every date in Kazakhstan's time (UTC+5), as the server counts
// working days in it.

import { ApiError } from "./api";
import { h } from "./dom";
import { lang, type Lang } from "./i18n";

export interface Name {
  kk: string;
  ru: string;
  en: string;
}

export interface Body {
  id: string;
  name: Name;
}

export interface RuleSet {
  id: string;
  title: Name;
  act: string;
  valid_from: string;
  valid_to: string;
  demo: boolean;
  periods: Array<{ from: string; to: string; bodies: string[] }>;
}

export interface Stage {
  kind: string;
  starts: string;
  ends: string;
  link: string;
  notified?: string;
  sittings: boolean;
  /** The test stages' program and bank (server/workflow Stage). */
  program?: string;
  bank?: string;
}

export interface Transition {
  from: string;
  to: string;
  actor: string;
  why: string;
  time: string;
}

export interface Member {
  account: string;
  role: string;
  proposed: boolean;
  confirmed?: string;
  added: string;
  extra: boolean;
  removed?: string;
  grounds?: string;
  reason?: string;
}

export interface Competition {
  id: string;
  body: string;
  body_name: Name;
  position: string;
  requires_experience: boolean;
  managerial: boolean;
  status: string;
  rule_set: string;
  period: string;
  opens: string;
  deadline: string;
  review_due: string;
  stages: Stage[];
  commission: Member[];
  history: Transition[];
  counts: Record<string, number>;
  overdue: number;
  essay_graders: number;
  interview?: {
    selected: string;
    finalists: Array<{ application: string; pin: string; rank: number; total: string; score?: string }>;
    done?: string;
  };
}

export interface Personal {
  name: string;
  iin: string;
  email: string;
  phone: string;
}

export interface Doc {
  id: string;
  kind: string;
  type: string;
  size: number;
  added: string;
  supplement: boolean;
}

export interface Notice {
  id: string;
  key: string;
  args: Record<string, string>;
  time: string;
  text: Partial<Record<Lang, string>>;
}

export interface SittingRef {
  stage: string;
  sitting: string;
}

export interface Application {
  id: string;
  competition: string;
  status: string;
  submitted: string;
  documents: Doc[];
  missing: string[] | null;
  reason?: string;
  incomplete?: string;
  supplement_due?: string;
  supplemented?: string;
  recheck_due?: string;
  decided?: string;
  pin?: string;
  personal: Personal;
  lacking: string[];
  notifications?: Notice[];
  stages: SittingRef[];
}

export interface Overdue {
  kind: string;
  clause: string;
  competition: string;
  application?: string;
  due: string;
}

export interface PinRow {
  pin: string;
  sittings: SittingRef[];
}

export interface Account {
  id: string;
  username: string;
  role: string;
}

export interface Inbox {
  application: {
    id: string;
    status: string;
    pin: string;
    missing: string[] | null;
    reason: string;
    supplement_due?: string;
    documents: Doc[];
    lacking: string[];
  };
  competition: {
    id: string;
    body: string;
    body_name: Name;
    position: string;
    requires_experience: boolean;
    opens: string;
    deadline: string;
    stages: Stage[];
  };
  notifications: Notice[];
  join: Array<{ stage: string; link: string }>;
}

/** An item of a bank as HR lists it (workflow.BankEntry). */
export interface BankEntry {
  identifier: string;
  title: string;
  version: string;
  categories: string[];
  interaction: string;
  imported: string;
  entry: number;
}

export interface ItemRef {
  item: string;
  version: string;
}

/** An item an import did not take, and why (workflow.BankRefusal). */
export interface BankRefusal {
  item: string;
  file?: string;
  line?: number;
  reason: string;
  key: string;
  args: Record<string, string>;
}

/** What one import did (workflow.BankImport). */
export interface BankImport {
  bank: string;
  added: ItemRef[];
  changed: ItemRef[];
  unchanged: ItemRef[];
  refused: BankRefusal[];
  digest: string;
  items: number;
  entry: number;
}

/** A test stage's program, shipped or defined by HR, as HR reads it (workflow.TestProgram). */
export interface TestProgram {
  id: string;
  stage: string;
  title: Name;
  bank: string;
  sections: Array<{ id: string; title: Name; category: string; count: number }>;
  /** A Go duration, "55m0s". */
  time_limit: string;
  questions: number;
  shipped: boolean;
  digest?: string;
  defined?: string;
}

export const stageKinds = ["legislation", "personal_qualities", "textual_numerical", "essay", "interview"] as const;
/** The stages taken as tests in the cabinet (p.14, Annex 3). */
export const testKinds: readonly string[] = ["legislation", "personal_qualities", "textual_numerical"];
export const docKinds = ["education", "education_attachment", "experience", "identity", "other"] as const;

/** A state body's name in the page's language. */
export function nameIn(n: Name | undefined, fallback = ""): string {
  if (!n) return fallback;
  return n[lang()] || n.ru || n.kk || fallback;
}

const kz = 5 * 3600 * 1000;

/** "YYYY-MM-DD HH:MM" of an instant, in UTC+5. */
export function kzTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(new Date(iso).getTime() + kz);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace("T", " ");
}

/** The date of an instant, in UTC+5. */
export function kzDate(iso: string | undefined): string {
  return kzTime(iso).slice(0, 10);
}

/** A deadline (the first instant after it) as its last minute, "… 23:59". */
export function kzDeadline(iso: string | undefined): string {
  if (!iso) return "";
  return kzTime(new Date(new Date(iso).getTime() - 60000).toISOString());
}

/** The value of a datetime-local input, read as UTC+5, as an RFC 3339 time. */
export function fromLocalInput(v: string): string {
  return v ? `${v}:00+05:00` : "";
}

/** A refusal as a person reads it: its clause apart, then what to do. */
export function refusal(err: unknown): HTMLElement {
  const box = h("div", { class: "refusal", role: "alert" });
  if (err instanceof ApiError) {
    const clause = err.args["clause"] ?? "";
    let text = err.message;
    if (clause && text.startsWith(`${clause}: `)) text = text.slice(clause.length + 2);
    if (clause) box.append(h("strong", { class: "clause", "data-clause": clause }, clause), " ");
    box.append(h("span", { class: "text" }, text));
    box.dataset["key"] = err.key;
    return box;
  }
  box.append(err instanceof Error ? err.message : String(err));
  return box;
}
