// HR's item banks (issue 12): the QTI 2.1 items a test stage draws its
// variants from. HR picks a bank, sees its items and how many each
// category holds against what the test programs draw (a section short of
// items cannot give a candidate a variant), and imports an assessmentItem
// .xml or a content package .zip; every item the server did not take is
// shown by its identifier with the reason, in the page's language. A file
// the server refuses whole changes nothing in the bank.

import { api, ApiError, upload } from "./api";
import { h } from "./dom";
import { has, t } from "./i18n";
import { kzTime, nameIn, refusal, type BankEntry, type BankImport, type BankRefusal, type Competition, type TestProgram } from "./workflow-types";

const enc = encodeURIComponent;

/** The types the server takes an import as (httpapi bankTypes). */
const importTypes = ["application/xml", "text/xml", "application/zip", "application/x-zip-compressed"];

/** workflow.BankImportMaxBytes: a larger file is refused before it is sent. */
const importMaxBytes = 20 << 20;

/** The Content-Type to send a file as: the browser's when the server takes
 * it, else by the file's extension; anything else is sent as it is, for
 * the server to refuse with its reason. */
function importType(f: File): string {
  if (importTypes.includes(f.type)) return f.type;
  const name = f.name.toLowerCase();
  if (name.endsWith(".zip")) return "application/zip";
  if (name.endsWith(".xml")) return "application/xml";
  return f.type || "application/octet-stream";
}

/** The name of a bank: the stage it is named like, and the name itself. */
function bankName(bank: string): string {
  return has(`hr.stage.${bank}`) ? `${t(`hr.stage.${bank}`)} (${bank})` : bank;
}

/** A refused item's reason in the page's language, else the server's English. */
function reason(r: BankRefusal): string {
  return r.key && has(r.key) ? t(r.key, r.args) : r.reason;
}

interface LastImport {
  file: string;
  result?: BankImport;
  refused?: HTMLElement;
}

/** The section; start() loads the programs, opening it loads the bank. */
export class BankScreen {
  readonly el = h("section", { class: "panel", id: "banks", "aria-labelledby": "banks-title" });
  private programs: TestProgram[] = [];
  private bank = "";
  private items: BankEntry[] | null = null;
  private loadError: HTMLElement | null = null;
  private last: LastImport | null = null;
  private open = false;
  private busy = false;
  private defined: { file: string; program?: TestProgram; refused?: HTMLElement } | null = null;

  /** competitions gives the banks HR's competitions draw from; onAuth is
   * told of a refusal that ends the session. */
  constructor(
    private readonly competitions: () => Competition[],
    private readonly onAuth: (err: ApiError) => void,
    private readonly onPrograms: () => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.programs = await api<TestProgram[]>("GET", "/api/test-programs");
    this.bank ||= this.banks()[0] ?? "";
    this.render();
    this.onPrograms();
  }

  /** Every test program, shipped and defined, in the server's order. */
  programList(): readonly TestProgram[] {
    return this.programs;
  }

  /** The banks to pick from: each test program's default bank (named like
   * its stage, so a new test stage brings its own), then any other bank a
   * competition's stage names. */
  private banks(): string[] {
    const out: string[] = [];
    for (const p of this.programs) if (!out.includes(p.bank)) out.push(p.bank);
    for (const c of this.competitions()) for (const s of c.stages) if (s.bank && !out.includes(s.bank)) out.push(s.bank);
    return out;
  }

  /** The programs that draw from the bank: those whose stage it is named
   * for, and those of competitions' stages that name it. */
  private programsOf(bank: string): TestProgram[] {
    const ids = new Set(this.programs.filter((p) => p.bank === bank).map((p) => p.id));
    for (const c of this.competitions()) for (const s of c.stages) if (s.bank === bank && s.program) ids.add(s.program);
    return this.programs.filter((p) => ids.has(p.id));
  }

  private async load(): Promise<void> {
    const bank = this.bank;
    try {
      const items = await api<BankEntry[]>("GET", `/api/banks/${enc(bank)}`);
      if (bank !== this.bank) return;
      this.items = items;
      this.loadError = null;
    } catch (err) {
      if (this.authLost(err)) return;
      this.items = null;
      this.loadError = refusal(err);
    }
    this.render();
  }

  private authLost(err: unknown): boolean {
    if (err instanceof ApiError && err.status === 401) {
      this.onAuth(err);
      return true;
    }
    return false;
  }

  render(): void {
    const details = h("details", { open: this.open }, h("summary", {}, h("h2", { id: "banks-title" }, t("bank.title"))));
    details.addEventListener("toggle", () => {
      // A details rendered open fires toggle too: only a person's change counts.
      if (details.open === this.open) return;
      this.open = details.open;
      if (this.open && this.items === null) void this.load();
      this.render();
    });
    this.el.replaceChildren(details);
    if (!this.open) return;
    details.append(h("p", { class: "hint" }, t("bank.hint")), this.programsPanel(), this.picker(), this.importForm(), this.lastImport());
    if (this.loadError) details.append(this.loadError);
    if (this.items === null) {
      if (!this.loadError) details.append(h("p", { class: "meta" }, t("bank.loading")));
      return;
    }
    details.append(this.drawable(this.items), this.itemTable(this.items));
  }

  private picker(): HTMLElement {
    const pick = h("select", { id: "bank-pick" }, ...this.banks().map((b) => h("option", { value: b, selected: b === this.bank }, bankName(b))));
    pick.addEventListener("change", () => {
      this.bank = pick.value;
      this.items = null;
      this.loadError = null;
      this.last = null;
      this.render();
      void this.load();
    });
    return h("div", { class: "field bank-pick" }, h("label", { for: "bank-pick" }, t("bank.pick")), pick);
  }

  // ---- the programs (Annex 3: sections by category, the time limit) ----

  /** Every program with what it draws, and the form that defines one. */
  private programsPanel(): HTMLElement {
    const rows = this.programs.map((p) => h("tr", { "data-program": p.id },
      h("td", {}, h("code", {}, p.id)), h("td", {}, nameIn(p.title, p.id)), h("td", {}, has(`hr.stage.${p.stage}`) ? t(`hr.stage.${p.stage}`) : p.stage),
      h("td", { class: "num" }, String(p.questions)), h("td", {}, minutes(p.time_limit)),
      h("td", {}, p.shipped
        ? h("span", { class: "badge" }, t("programs.shipped"))
        : h("span", {}, t("programs.defined", { time: kzTime(p.defined) }), " ", h("code", { title: p.digest ?? "" }, (p.digest ?? "").slice(0, 12))))));
    const file = h("input", { id: "program-file", type: "file", accept: ".json,application/json", required: true, "aria-describedby": "program-file-hint" });
    const submit = h("button", { type: "submit", id: "program-submit", disabled: this.busy }, t("programs.define.submit"));
    const form = h("form", { id: "program-define", class: "inline program-define" },
      h("div", { class: "field" }, h("label", { for: "program-file" }, t("programs.define.file")), file),
      submit,
      h("p", { class: "hint", id: "program-file-hint" }, t("programs.define.hint")));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = file.files?.[0];
      if (!f) {
        this.defined = { file: "", refused: h("div", { class: "refusal", role: "alert" }, t("programs.define.pick_file")) };
        this.render();
        return;
      }
      void this.define(f);
    });
    const result = h("div", { id: "program-result", "aria-live": "polite" });
    const d = this.defined;
    if (d?.refused) {
      result.className = "bank-result failed";
      if (d.file) result.append(h("p", {}, t("programs.define.failed", { file: d.file })));
      result.append(d.refused);
    } else if (d?.program) {
      result.className = "bank-result ok";
      result.append(h("p", { role: "status" }, t("programs.define.done", { id: d.program.id, n: String(d.program.questions), time: minutes(d.program.time_limit) })));
    }
    return h("div", { class: "bank-programs", id: "programs" },
      h("h3", {}, t("programs.title")),
      h("table", { class: "hr-table", id: "program-list" },
        h("thead", {}, h("tr", {}, ...["id", "title", "stage", "questions", "time", "origin"].map((c) => h("th", { scope: "col" }, t(`programs.col.${c}`))))),
        h("tbody", {}, ...rows)),
      form, result);
  }

  private async define(f: File): Promise<void> {
    this.busy = true;
    this.render();
    try {
      // The bytes as written: the server logs their digest.
      const program = await upload<TestProgram>("/api/test-programs", f, "application/json");
      this.defined = { file: f.name, program };
      this.programs = await api<TestProgram[]>("GET", "/api/test-programs");
      this.onPrograms();
    } catch (err) {
      if (this.authLost(err)) return;
      this.defined = { file: f.name, refused: refusal(err) };
    } finally {
      this.busy = false;
    }
    this.render();
  }

  // ---- the import ----

  private importForm(): HTMLElement {
    const file = h("input", { id: "bank-file", type: "file", accept: ".xml,.zip,application/xml,text/xml,application/zip", required: true, "aria-describedby": "bank-file-hint" });
    const submit = h("button", { type: "submit", id: "bank-submit", disabled: this.busy }, t("bank.import.submit", { bank: this.bank }));
    const form = h("form", { id: "bank-import", class: "inline bank-import" },
      h("div", { class: "field" }, h("label", { for: "bank-file" }, t("bank.import.file")), file),
      submit,
      h("p", { class: "hint", id: "bank-file-hint" }, t("bank.import.hint", { mib: String(importMaxBytes >> 20) })));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = file.files?.[0];
      if (!f) {
        this.last = { file: "", refused: h("div", { class: "refusal", role: "alert" }, t("bank.import.pick_file")) };
        this.render();
        return;
      }
      void this.send(f);
    });
    return form;
  }

  private async send(f: File): Promise<void> {
    const bank = this.bank;
    this.busy = true;
    this.render();
    try {
      if (f.size > importMaxBytes) {
        // The server's own refusal, without sending 20 MiB to hear it.
        throw new ApiError(413, "too_large", "workflow.err.bank_large", `the file is over ${importMaxBytes} bytes`, { max: String(importMaxBytes) });
      }
      const result = await upload<BankImport>(`/api/banks/${enc(bank)}/import?filename=${enc(f.name)}`, f, importType(f));
      this.last = { file: f.name, result };
      this.items = await api<BankEntry[]>("GET", `/api/banks/${enc(bank)}`);
    } catch (err) {
      if (this.authLost(err)) return;
      this.last = { file: f.name, refused: refusal(err) };
    } finally {
      this.busy = false;
    }
    this.render();
  }

  private lastImport(): HTMLElement {
    const box = h("div", { id: "bank-result", "aria-live": "polite" });
    const last = this.last;
    if (this.busy) box.append(h("p", { class: "meta" }, t("bank.import.sending")));
    if (!last) return box;
    if (last.refused) {
      box.className = "bank-result failed";
      if (last.file) box.append(h("p", {}, t("bank.import.failed", { file: last.file })));
      box.append(last.refused);
      return box;
    }
    const r = last.result;
    if (!r) return box;
    box.className = r.refused.length ? "bank-result partly" : "bank-result ok";
    box.append(h("p", { role: "status", class: "summary" }, t("bank.import.done", {
      file: last.file, added: String(r.added.length), changed: String(r.changed.length), unchanged: String(r.unchanged.length), refused: String(r.refused.length), items: String(r.items),
    })));
    if (r.refused.length) {
      box.append(h("h3", {}, t("bank.import.refused_title", { n: String(r.refused.length) })),
        h("ul", { class: "bank-refused" }, ...r.refused.map((x) => h("li", { "data-item": x.item },
          h("code", { class: "item" }, x.item), " — ", h("span", { class: "reason" }, reason(x)),
          x.file ? h("span", { class: "meta" }, " · ", x.file, x.line ? `, ${t("qti.at_line", { line: String(x.line) })}` : "") : null))));
    }
    return box;
  }

  // ---- what the bank holds ----

  /** Items by category, against what each program's sections draw. */
  private drawable(items: BankEntry[]): HTMLElement {
    const counts = new Map<string, number>();
    for (const it of items) for (const c of it.categories) counts.set(c, (counts.get(c) ?? 0) + 1);
    const sec = h("div", { class: "bank-counts" }, h("h3", {}, t("bank.counts.title", { n: String(items.length) })));
    const cats = [...counts.keys()].sort();
    sec.append(cats.length
      ? h("ul", { class: "categories" }, ...cats.map((c) => h("li", { "data-category": c }, h("code", {}, c), " ", h("strong", {}, String(counts.get(c))))))
      : h("p", { class: "empty" }, t("bank.counts.none")));
    for (const p of this.programsOf(this.bank)) {
      const rows = p.sections.map((s) => {
        const have = counts.get(s.category) ?? 0;
        const short = s.count - have;
        return h("tr", { "data-category": s.category, class: short > 0 ? "short" : "enough" },
          h("td", {}, nameIn(s.title, s.id)), h("td", {}, h("code", {}, s.category)), h("td", { class: "num" }, String(s.count)), h("td", { class: "num" }, String(have)),
          h("td", {}, short > 0 ? h("span", { class: "shortfall" }, t("bank.program.short", { n: String(short) })) : h("span", { class: "enough" }, t("bank.program.enough"))));
      });
      const ok = p.sections.every((s) => (counts.get(s.category) ?? 0) >= s.count);
      sec.append(h("div", { class: "bank-program", "data-program": p.id },
        h("h4", {}, nameIn(p.title, p.id), " ", h("span", { class: ok ? "badge enough" : "badge shortfall" }, ok ? t("bank.program.drawable") : t("bank.program.not_drawable"))),
        h("table", { class: "hr-table program-sections" },
          h("thead", {}, h("tr", {}, ...["section", "category", "needed", "have", "state"].map((c) => h("th", { scope: "col" }, t(`bank.col.${c}`))))),
          h("tbody", {}, ...rows))));
    }
    return sec;
  }

  private itemTable(items: BankEntry[]): HTMLElement {
    if (!items.length) return h("p", { class: "empty", id: "bank-empty" }, t("bank.items.none", { bank: this.bank }));
    const head = h("tr", {}, ...["identifier", "title", "interaction", "categories", "version", "imported"].map((c) => h("th", { scope: "col" }, t(`bank.col.${c}`))));
    const rows = items.map((it) => h("tr", { "data-item": it.identifier },
      h("td", {}, h("code", {}, it.identifier)), h("td", {}, it.title || "—"), h("td", {}, it.interaction),
      h("td", {}, it.categories.join(", ")), h("td", {}, h("code", { title: it.version }, it.version.slice(0, 12))), h("td", {}, kzTime(it.imported))));
    return h("table", { class: "hr-table bank-items", id: "bank-items" }, h("caption", {}, t("bank.items.caption", { bank: this.bank })), h("thead", {}, head), h("tbody", {}, ...rows));
  }
}

/** A Go duration ("55m0s", "1h30m0s") in whole minutes, as HR reads it. */
function minutes(d: string): string {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(d);
  if (!m || !d) return d;
  const total = Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) + Math.round(Number(m[3] ?? 0) / 60);
  return t("programs.minutes", { n: String(total) });
}

/** A program in a picker: its title, id, questions and time. */
export function programLabel(p: TestProgram): string {
  return t("programs.label", { title: nameIn(p.title, p.id), id: p.id, n: String(p.questions), time: minutes(p.time_limit) });
}
