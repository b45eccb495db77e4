// The staff app: login, then the proctor's live dashboard — a grid of the
// sittings assigned to them, each a tile known by PIN only (p.74-1), ranked
// by risk and filterable by status, with a focus view for one sitting where
// the proctor acts and publishes the verdict.

import "./style.css";
import type { FeedRecord, ProtocolError, ServerToViewerMessage, SittingSummary, ViewerToServerMessage, Layer } from "./gen/protocol";
import { api } from "./api";
import { Channel, type ChannelState } from "./channel";
import { h } from "./dom";
import { ruleTitle } from "./events";
import { rules } from "./flags";
import { FocusView, type Me } from "./focus";
import { initialLang, loadCatalogue, t, onLangChange } from "./i18n";
import { langSwitch } from "./lang-switch";
import { loginForm } from "./login";
import { Tile, type TileHost } from "./tile";
import type { BodyOf, Watch } from "./rtc";

const root = document.getElementById("app") as HTMLElement;

function header(me: Me | null): HTMLElement {
  const right = h("div", { class: "who" });
  if (me) {
    const out = h("button", { type: "button", id: "logout" }, t("ui.logout"));
    out.addEventListener("click", () => {
      void api("POST", "/api/logout", {}).finally(() => location.reload());
    });
    if (me.role === "hr" || me.role === "admin") right.append(h("a", { href: `/hr.html${location.search}`, class: "staff-link", id: "hr-link" }, t("hr.link.screens")), " ");
    right.append(h("a", { href: `/accounts.html${location.search}`, class: "staff-link", id: "accounts-link" }, t(me.role === "admin" ? "accounts.link" : "accounts.link.password")), " ");
    right.append(h("span", { class: "user" }, t("ui.signed_in_as", { user: me.username, role: me.role })), " ", out);
  }
  return h("header", { class: "top" }, h("h1", {}, t("ui.app.title")), langSwitch(), right);
}

function showLogin(): void {
  root.replaceChildren(header(null), h("main", {}, loginForm<Me>(t("ui.login.title"), (me) => showDashboard(me))));
  document.getElementById("username")?.focus();
}

type SortKey = "risk" | "pin";
type FilterKey = "all" | "open" | "violation" | "suspected" | "unchecked" | "offline" | "paused";
const filters: readonly FilterKey[] = ["all", "open", "violation", "suspected", "unchecked", "offline", "paused"];

function matches(s: SittingSummary, f: FilterKey): boolean {
  const states = Object.values(s.rules ?? {}).map((r) => r?.state);
  switch (f) {
    case "all":
      return true;
    case "open":
      return s.open_flags > 0;
    case "violation":
    case "suspected":
    case "unchecked":
      return states.includes(f);
    case "offline":
      return s.state === "offline";
    case "paused":
      return !!s.paused;
  }
}

/** Ranks by risk, then by flags waiting for review, then by PIN. */
function byRisk(a: SittingSummary, b: SittingSummary): number {
  return b.risk - a.risk || b.open_flags - a.open_flags || a.pin.localeCompare(b.pin);
}

class Dashboard implements TileHost {
  readonly peers = new Map<string, RTCPeerConnection>();
  readonly tiles = new Map<string, Tile>();
  readonly gridLayer: Layer;
  private readonly records = new Map<string, FeedRecord[]>();
  private readonly since: Record<string, number> = {};
  private readonly grid: HTMLElement;
  private readonly status: HTMLElement;
  private readonly count: HTMLElement;
  private readonly live: HTMLElement;
  private readonly alerts: HTMLUListElement;
  private readonly main: HTMLElement;
  private readonly channel: Channel<ServerToViewerMessage, ViewerToServerMessage>;
  private pending: SittingSummary[] = [];
  private sort: SortKey = "risk";
  private filter: FilterKey = "all";
  private sound = localStorage.getItem("kuzet.sound") === "on";
  private current: string | null = null; // the tile keyboard focus returns to
  private focus: FocusView | null = null;
  private audioCtx: AudioContext | null = null;
  /** Visible sitting ids in display order (tests read it). */
  order: string[] = [];

  constructor(readonly me: Me) {
    const params = new URLSearchParams(location.search);
    this.gridLayer = params.get("grid") === "full" ? "full" : "thumb";
    this.grid = h("section", { class: "grid", role: "feed", "aria-label": t("ui.sittings.title"), "aria-busy": "false" });
    this.grid.addEventListener("keydown", (ev: KeyboardEvent) => this.navigate(ev));
    this.status = h("p", { class: "conn", role: "status" });
    this.count = h("span", { class: "count" });
    this.live = h("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true", id: "announcer" });
    this.alerts = h("ul", { class: "alerts", "aria-label": t("dashboard.alerts") });
    this.main = h("main", {});
    this.renderChrome();
    onLangChange(() => {
      this.renderChrome();
      this.setStatus(this.connState);
      for (const tile of this.tiles.values()) tile.render();
      this.focus?.render();
    });
    this.channel = new Channel<ServerToViewerMessage, ViewerToServerMessage>({
      path: "/v1/view",
      onOpen: () => {
        this.channel.send("subscribe", { since: { ...this.since } });
        // The video keeps going: each watch offers again, and the server
        // hands back the peer it kept for the view.
        for (const tile of this.tiles.values()) tile.resync();
        if (this.focus) {
          this.channel.send("focus", { sitting: this.focus.id });
          this.focus.watch.resync();
        }
      },
      onMessage: (m) => this.handle(m),
      onState: (s: ChannelState) => this.setStatus(s),
      onFatal: (code, reason) => {
        this.status.textContent = t("ui.conn.refused", { reason });
        if (code === 4401) location.reload();
      },
    });
    window.setInterval(() => void this.sample(), 2000);
  }

  private renderChrome(): void {
    const sortSel = h("select", { id: "sort" }, h("option", { value: "risk" }, t("dashboard.sort.risk")), h("option", { value: "pin" }, t("dashboard.sort.pin")));
    sortSel.value = this.sort;
    sortSel.addEventListener("change", () => {
      this.sort = sortSel.value === "pin" ? "pin" : "risk";
      this.arrange();
    });
    const filterSel = h("select", { id: "filter" }, ...filters.map((f) => h("option", { value: f }, t(`dashboard.filter.${f}`))));
    filterSel.value = this.filter;
    filterSel.addEventListener("change", () => {
      this.filter = (filters as readonly string[]).includes(filterSel.value) ? (filterSel.value as FilterKey) : "all";
      this.arrange();
    });
    const sound = h("input", { type: "checkbox", id: "sound", checked: this.sound });
    sound.addEventListener("change", () => {
      this.sound = sound.checked;
      localStorage.setItem("kuzet.sound", this.sound ? "on" : "off");
    });
    const legend = h(
      "details",
      { class: "legend" },
      h("summary", {}, t("dashboard.legend")),
      h(
        "ul",
        {},
        ...(["violation", "suspected", "unchecked", "clear", "no_data"] as const).map((s) =>
          h("li", {}, h("span", { class: `rule-badge rs-${s}`, "aria-hidden": "true" }, "·"), " ", t(`dashboard.rule_state.${s}`)),
        ),
      ),
    );
    const toolbar = h(
      "div",
      { class: "toolbar" },
      h("label", { for: "sort" }, t("dashboard.sort")),
      sortSel,
      h("label", { for: "filter" }, t("dashboard.filter")),
      filterSel,
      h("span", { class: "choice" }, sound, h("label", { for: "sound" }, t("dashboard.sound"))),
      this.count,
      legend,
    );
    this.grid.setAttribute("aria-label", t("ui.sittings.title"));
    this.alerts.setAttribute("aria-label", t("dashboard.alerts"));
    this.main.replaceChildren(this.status, toolbar, this.alerts, this.live, this.grid);
    root.replaceChildren(header(this.me), this.main, ...(this.focus ? [this.focus.el] : []));
    this.arrange();
  }

  send<T extends ViewerToServerMessage["type"]>(type: T, body: BodyOf<T>): boolean {
    return this.channel.send(type, body);
  }

  /** Test hook: drops the live channel as a flaky network would, and
   * stays away holdMs before reconnecting. */
  dropChannel(holdMs = 0): void {
    this.channel.drop(holdMs);
  }

  recordsOf(id: string): readonly FeedRecord[] {
    return this.records.get(id) ?? [];
  }

  summaryOf(id: string): SittingSummary | undefined {
    return this.tiles.get(id)?.summary;
  }

  private connState: ChannelState = "connecting";

  private setStatus(s: ChannelState): void {
    this.connState = s;
    this.status.textContent = t(`ui.conn.${s}`);
    this.status.className = `conn conn-${s}`;
  }

  private tileFor(s: SittingSummary): Tile {
    let tile = this.tiles.get(s.id);
    if (!tile) {
      tile = new Tile(s, this);
      this.tiles.set(s.id, tile);
      this.grid.append(tile.el);
    }
    return tile;
  }

  private handle(m: ServerToViewerMessage): void {
    switch (m.type) {
      case "sittings": {
        this.pending.push(...m.body.sittings);
        if (m.body.more) break;
        const list = this.pending;
        this.pending = [];
        const keep = new Set(list.map((s) => s.id));
        for (const [id, tile] of this.tiles) {
          if (!keep.has(id)) {
            tile.dispose();
            tile.el.remove();
            this.tiles.delete(id);
          }
        }
        for (const s of list) this.tileFor(s).update(s);
        this.arrange();
        break;
      }
      case "sitting": {
        const s = m.body.sitting;
        const old = this.tiles.get(s.id)?.summary;
        this.tileFor(s).update(s);
        if (old) this.announce(old, s);
        this.arrange();
        if (this.focus?.id === s.id) this.focus.render();
        break;
      }
      case "record": {
        const r = m.body;
        if ((this.since[r.sitting] ?? 0) >= r.n) break; // never twice
        this.since[r.sitting] = r.n;
        let list = this.records.get(r.sitting);
        if (!list) this.records.set(r.sitting, (list = []));
        list.push(r);
        if (this.focus?.id === r.sitting) this.focus.render();
        break;
      }
      case "assessment":
        if (this.focus?.id === m.body.sitting) this.focus.setAssessment(m.body);
        break;
      case "watching":
        for (const w of this.watches()) if (w.owns(m.body.view)) void w.answered(m.body.sdp);
        break;
      case "candidate":
        if (m.body.candidate.candidate) for (const w of this.watches()) if (w.owns(m.body.view)) w.addCandidate(m.body.candidate);
        break;
      case "error":
        this.showError(m.body);
        break;
    }
  }

  private *watches(): Generator<Watch> {
    for (const tile of this.tiles.values()) if (tile.watch) yield tile.watch;
    if (this.focus) yield this.focus.watch;
  }

  /** Says, without moving focus, that a sitting has a new violation. */
  private announce(old: SittingSummary, s: SittingSummary): void {
    const fresh = rules.filter((id) => {
      const now = s.rules?.[id];
      return now?.state === "violation" && (now.open ?? 0) > (old.rules?.[id]?.open ?? 0);
    });
    if (fresh.length === 0) return;
    const text = t("dashboard.alert.violation", { pin: s.pin, rules: fresh.map((id) => `${id} ${ruleTitle(id)}`).join(", ") });
    this.live.textContent = text;
    const item = h("li", { class: "alert-item", "data-sitting": s.id }, text);
    this.alerts.prepend(item);
    while (this.alerts.children.length > 5) this.alerts.lastElementChild?.remove();
    this.tiles.get(s.id)?.alert();
    if (this.sound) this.beep();
  }

  private beep(): void {
    try {
      this.audioCtx ??= new AudioContext();
      const ctx = this.audioCtx;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.15);
    } catch {
      // No audio output: the visual alert stays.
    }
  }

  /** Orders and filters the tiles (CSS order, so nothing is re-attached
   * and neither video nor focus is disturbed). */
  private arrange(): void {
    const all = [...this.tiles.values()];
    const visible = all.filter((tile) => matches(tile.summary, this.filter));
    visible.sort((a, b) => (this.sort === "pin" ? a.summary.pin.localeCompare(b.summary.pin) : byRisk(a.summary, b.summary)));
    const shown = new Set(visible);
    visible.forEach((tile, i) => {
      tile.el.hidden = false;
      tile.el.style.order = String(i);
      tile.el.setAttribute("aria-posinset", String(i + 1));
      tile.el.setAttribute("aria-setsize", String(visible.length));
    });
    for (const tile of all) if (!shown.has(tile)) tile.el.hidden = true;
    this.order = visible.map((tile) => tile.summary.id);
    this.count.textContent = t("dashboard.count", { shown: String(visible.length), total: String(all.length) });
    // Roving tabindex: one tile is in the tab order.
    if (!this.current || !this.order.includes(this.current)) this.current = this.order[0] ?? null;
    for (const tile of all) tile.el.tabIndex = tile.summary.id === this.current ? 0 : -1;
    if (all.length === 0) this.grid.replaceChildren(h("p", { class: "empty" }, t("ui.sittings.empty")));
    else this.grid.querySelector(":scope > p.empty")?.remove();
  }

  /** Arrow keys, Home, End, PageUp/PageDown move between tiles in the
   * order shown; Enter opens one. */
  private navigate(ev: KeyboardEvent): void {
    const target = ev.target as HTMLElement;
    if (!target.classList.contains("tile")) return;
    const i = this.order.indexOf(target.dataset["sitting"] ?? "");
    if (i < 0) return;
    const cols = this.columns();
    let j = i;
    switch (ev.key) {
      case "ArrowRight":
        j = i + 1;
        break;
      case "ArrowLeft":
        j = i - 1;
        break;
      case "ArrowDown":
      case "PageDown":
        j = i + cols;
        break;
      case "ArrowUp":
      case "PageUp":
        j = i - cols;
        break;
      case "Home":
        j = 0;
        break;
      case "End":
        j = this.order.length - 1;
        break;
      default:
        return;
    }
    ev.preventDefault();
    j = Math.max(0, Math.min(this.order.length - 1, j));
    this.moveTo(this.order[j] ?? null);
  }

  private moveTo(id: string | null): void {
    if (!id) return;
    this.current = id;
    for (const tile of this.tiles.values()) tile.el.tabIndex = tile.summary.id === id ? 0 : -1;
    this.tiles.get(id)?.el.focus();
  }

  private columns(): number {
    const first = this.tiles.get(this.order[0] ?? "")?.el;
    if (!first) return 1;
    const top = first.getBoundingClientRect().top;
    let n = 0;
    for (const id of this.order) {
      const el = this.tiles.get(id)?.el;
      if (!el || Math.abs(el.getBoundingClientRect().top - top) > 2) break;
      n++;
    }
    return Math.max(1, n);
  }

  open(id: string): void {
    if (this.focus?.id === id) return;
    this.closeFocus(false);
    this.current = id;
    const view = new FocusView(this, id);
    this.focus = view;
    this.main.inert = true;
    root.append(view.el);
    this.send("focus", { sitting: id });
  }

  closeFocus(restore = true): void {
    const view = this.focus;
    if (!view) return;
    this.focus = null;
    view.close();
    view.el.remove();
    this.main.inert = false;
    this.send("focus", {});
    if (restore) this.moveTo(view.id);
  }

  private async sample(): Promise<void> {
    await Promise.all([...this.tiles.values()].map((tile) => tile.sample()));
  }

  private showError(e: ProtocolError): void {
    this.status.textContent = t("ui.conn.error", { message: e.message });
  }
}

declare global {
  interface Window {
    kuzet?: { dashboard: Dashboard };
  }
}

function showDashboard(me: Me): void {
  // HR watches no sittings: its work is on the HR screens.
  if (me.role === "hr") {
    location.assign(`/hr.html${location.search}`);
    return;
  }
  // The commission grades essays (p.115) on its own page.
  if (me.role === "commission" || me.role === "assessor") {
    location.assign(`/grading.html${location.search}`);
    return;
  }
  const d = new Dashboard(me);
  window.kuzet = { dashboard: d };
}

async function main(): Promise<void> {
  await loadCatalogue(initialLang(new URLSearchParams(location.search).get("lang")));
  document.title = t("ui.app.title");
  try {
    const me = await api<Me>("GET", "/api/me");
    showDashboard(me);
  } catch {
    showLogin();
  }
}

void main();
