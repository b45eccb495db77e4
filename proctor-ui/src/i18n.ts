// The text catalogue, fetched from the server (/api/i18n), which reads it
// from protocol/i18n/messages — the same catalogue the agent uses. Every
// visible string goes through t(); a Go test checks that each key used
// here exists in kk, ru and en.

export type Lang = "kk" | "ru" | "en";
export const langs: readonly Lang[] = ["kk", "ru", "en"];

type Catalogue = Record<string, Partial<Record<Lang, string>>>;

let catalogue: Catalogue = {};
let current: Lang = "ru";
const listeners: Array<() => void> = [];

function isLang(s: string | null | undefined): s is Lang {
  return s === "kk" || s === "ru" || s === "en";
}

/** Picks the language: explicit choice, then the saved one, then the browser's. */
export function initialLang(explicit?: string | null): Lang {
  if (isLang(explicit)) return explicit;
  const saved = localStorage.getItem("kuzet.lang");
  if (isLang(saved)) return saved;
  for (const l of navigator.languages ?? [navigator.language]) {
    const code = l.slice(0, 2).toLowerCase();
    if (isLang(code)) return code;
  }
  return "ru";
}

export async function loadCatalogue(lang: Lang): Promise<void> {
  const resp = await fetch("/api/i18n", { credentials: "same-origin" });
  if (!resp.ok) throw new Error(`catalogue: ${resp.status}`);
  catalogue = (await resp.json()) as Catalogue;
  setLang(lang);
}

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem("kuzet.lang", l);
  document.documentElement.lang = l;
  for (const fn of listeners) fn();
}

/** Calls fn whenever the language changes. */
export function onLangChange(fn: () => void): void {
  listeners.push(fn);
}

/** Returns the text of key in the current language with {placeholders} filled. */
export function t(key: string, args?: Record<string, string> | undefined): string {
  const texts = catalogue[key];
  let s = texts?.[current] ?? texts?.ru;
  if (s === undefined) return `[${key}]`;
  if (args) {
    s = s.replace(/\{([a-zA-Z0-9_]+)\}/g, (m: string, name: string) => args[name] ?? m);
  }
  return s;
}

/** Whether the catalogue has key (event keys come from agents). */
export function has(key: string): boolean {
  return key in catalogue;
}
