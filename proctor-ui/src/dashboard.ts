// The staff app: login, then the proctor's live list of sittings — each a
// tile with the candidate's PIN (never a name, p.74-1), the sitting's state,
// its live camera, and its events as they arrive.

import "./style.css";
import type {
  FeedRecord,
  ServerToViewerMessage,
  SittingSummary,
  ViewerToServerMessage,
  ProtocolError,
} from "./gen/protocol";
import { Channel, type ChannelState } from "./channel";
import { h, clear } from "./dom";
import { recordItem } from "./events";
import { initialLang, loadCatalogue, t, onLangChange } from "./i18n";
import { langSwitch } from "./lang-switch";

interface Me {
  username: string;
  role: string;
}

interface ApiError {
  error?: { code: string; key?: string; message: string };
}

const root = document.getElementById("app") as HTMLElement;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const resp = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const data = (await resp.json().catch(() => ({}))) as T & ApiError;
  if (!resp.ok) {
    const e = data.error;
    throw new Error(e?.key ? t(e.key) : (e?.message ?? resp.statusText));
  }
  return data;
}

function header(me: Me | null): HTMLElement {
  const right = h("div", { class: "who" });
  if (me) {
    const out = h("button", { type: "button", id: "logout" }, t("ui.logout"));
    out.addEventListener("click", () => {
      void api("POST", "/api/logout", {}).finally(() => location.reload());
    });
    right.append(h("span", { class: "user" }, t("ui.signed_in_as", { user: me.username, role: me.role })), " ", out);
  }
  return h("header", { class: "top" }, h("h1", {}, t("ui.app.title")), langSwitch(), right);
}

function showLogin(): void {
  const user = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const pass = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const msg = h("p", { class: "error", role: "alert", id: "login-error" });
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h2", { id: "login-title" }, t("ui.login.title")),
    h("label", { for: "username" }, t("ui.login.username")),
    user,
    h("label", { for: "password" }, t("ui.login.password")),
    pass,
    h("button", { type: "submit" }, t("ui.login.submit")),
    msg,
  );
  form.addEventListener("submit", (ev: SubmitEvent) => {
    ev.preventDefault();
    msg.textContent = "";
    api<Me>("POST", "/api/login", { username: user.value, password: pass.value })
      .then((me) => showDashboard(me))
      .catch((err: unknown) => {
        msg.textContent = err instanceof Error ? err.message : String(err);
      });
  });
  root.replaceChildren(header(null), h("main", {}, form));
  user.focus();
}

/** One sitting on the dashboard. */
class Tile {
  readonly el: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly badge: HTMLElement;
  private readonly title: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly feed: HTMLUListElement;
  private readonly videoNote: HTMLElement;
  private pc: RTCPeerConnection | null = null;
  private viewId = "";
  private records: FeedRecord[] = [];
  summary: SittingSummary;

  constructor(s: SittingSummary, private readonly dash: Dashboard) {
    this.summary = s;
    this.video = h("video", { autoplay: true, muted: true, playsinline: true, class: "camera" });
    this.video.muted = true;
    this.badge = h("span", { class: "badge" });
    this.title = h("h2", {});
    this.meta = h("p", { class: "meta" });
    this.videoNote = h("p", { class: "video-note" });
    this.feed = h("ul", { class: "feed", "aria-live": "polite" });
    this.el = h(
      "article",
      { class: "tile", "data-sitting": s.id, "data-pin": s.pin, tabindex: 0 },
      h("div", { class: "tile-head" }, this.title, this.badge),
      this.meta,
      h("div", { class: "video-box" }, this.video, this.videoNote),
      h("h3", {}, t("ui.feed.title")),
      this.feed,
    );
    this.render();
  }

  update(s: SittingSummary): void {
    this.summary = s;
    this.render();
    this.syncVideo();
  }

  render(): void {
    const s = this.summary;
    this.title.textContent = t("ui.pin", { pin: s.pin });
    this.badge.textContent = t(`ui.state.${s.state}`);
    this.badge.className = `badge state-${s.state}`;
    this.meta.textContent = `${s.competition} · ${s.stage}`;
    if (!this.pc) this.videoNote.textContent = s.media ? t("ui.video.connecting") : t("ui.video.none");
    this.feed.replaceChildren(...this.records.slice().reverse().map(recordItem));
    if (this.records.length === 0) this.feed.append(h("li", { class: "empty" }, t("ui.feed.empty")));
  }

  addRecord(r: FeedRecord): void {
    this.records.push(r);
    this.render();
  }

  /** Watches the camera while the agent publishes; stops otherwise. */
  syncVideo(): void {
    const want = this.summary.state === "live" && this.summary.media;
    if (want && !this.pc) void this.watch();
    if (!want && this.pc) this.unwatch();
  }

  async watch(): Promise<void> {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.viewId = `v-${this.summary.id}-${Math.random().toString(36).slice(2, 10)}`;
    const view = this.viewId;
    this.dash.peers.set(view, pc);
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (ev: RTCTrackEvent) => {
      const stream = ev.streams[0] ?? new MediaStream([ev.track]);
      this.video.srcObject = stream;
      void this.video.play().catch(() => undefined);
    };
    pc.onicecandidate = (ev: RTCPeerConnectionIceEvent) => {
      if (ev.candidate && this.pc === pc) {
        const c = ev.candidate.toJSON();
        this.dash.send("candidate", {
          view,
          candidate: {
            candidate: c.candidate ?? "",
            sdpMid: c.sdpMid ?? undefined,
            sdpMLineIndex: c.sdpMLineIndex ?? undefined,
            usernameFragment: c.usernameFragment ?? undefined,
          },
        });
      }
    };
    pc.onconnectionstatechange = () => {
      if (this.pc !== pc) return;
      if (pc.connectionState === "connected") this.videoNote.textContent = "";
      if (pc.connectionState === "failed") {
        this.unwatch();
        window.setTimeout(() => this.syncVideo(), 1000);
      }
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.dash.send("watch", { view, sitting: this.summary.id, sdp: pc.localDescription?.sdp ?? "" });
  }

  async answered(view: string, sdp: string): Promise<void> {
    if (view !== this.viewId || !this.pc) return;
    await this.pc.setRemoteDescription({ type: "answer", sdp });
  }

  owns(view: string): boolean {
    return view === this.viewId;
  }

  unwatch(): void {
    if (!this.pc) return;
    this.dash.send("unwatch", { view: this.viewId });
    this.dash.peers.delete(this.viewId);
    this.pc.close();
    this.pc = null;
    this.video.srcObject = null;
    this.render();
  }

  /** The channel dropped: the server closed this view; start over. */
  reset(): void {
    if (!this.pc) return;
    this.dash.peers.delete(this.viewId);
    this.pc.close();
    this.pc = null;
  }
}

class Dashboard {
  readonly peers = new Map<string, RTCPeerConnection>();
  private readonly tiles = new Map<string, Tile>();
  private readonly since: Record<string, number> = {};
  private readonly grid: HTMLElement;
  private readonly status: HTMLElement;
  private readonly channel: Channel<ServerToViewerMessage, ViewerToServerMessage>;

  constructor(me: Me) {
    this.grid = h("section", { class: "grid", "aria-label": t("ui.sittings.title") });
    this.status = h("p", { class: "conn", role: "status" });
    const main = h("main", {}, this.status, this.grid);
    root.replaceChildren(header(me), main);
    onLangChange(() => {
      root.replaceChildren(header(me), main);
      for (const tile of this.tiles.values()) tile.render();
    });
    this.channel = new Channel<ServerToViewerMessage, ViewerToServerMessage>({
      path: "/v1/view",
      onOpen: () => {
        for (const tile of this.tiles.values()) tile.reset();
        this.channel.send("subscribe", { since: { ...this.since } });
      },
      onMessage: (m) => this.handle(m),
      onState: (s: ChannelState) => this.setStatus(s),
      onFatal: (_code, reason) => {
        this.status.textContent = t("ui.conn.refused", { reason });
        if (_code === 4401) location.reload();
      },
    });
  }

  send<T extends ViewerToServerMessage["type"]>(type: T, body: Extract<ViewerToServerMessage, { type: T }>["body"]): void {
    this.channel.send(type, body);
  }

  /** Test hook: drops the live channel as a flaky network would. */
  dropChannel(): void {
    this.channel.drop();
  }

  private setStatus(s: ChannelState): void {
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
        clear(this.grid);
        for (const tile of this.tiles.values()) this.grid.append(tile.el);
        if (m.body.sittings.length === 0 && this.tiles.size === 0) {
          this.grid.append(h("p", { class: "empty" }, t("ui.sittings.empty")));
        }
        for (const s of m.body.sittings) this.tileFor(s).update(s);
        break;
      }
      case "sitting":
        this.tileFor(m.body.sitting).update(m.body.sitting);
        break;
      case "record": {
        const r = m.body;
        if ((this.since[r.sitting] ?? 0) >= r.n) break; // never twice
        this.since[r.sitting] = r.n;
        this.tiles.get(r.sitting)?.addRecord(r);
        break;
      }
      case "watching":
        for (const tile of this.tiles.values()) {
          if (tile.owns(m.body.view)) void tile.answered(m.body.view, m.body.sdp);
        }
        break;
      case "candidate": {
        const pc = this.peers.get(m.body.view);
        if (pc && m.body.candidate.candidate) void pc.addIceCandidate(m.body.candidate).catch(() => undefined);
        break;
      }
      case "error":
        this.showError(m.body);
        break;
    }
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
