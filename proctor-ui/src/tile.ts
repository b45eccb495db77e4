// One sitting in the dashboard's grid: its PIN (never a name, p.74-1), the
// live camera at the thumbnail layer, a badge per rule of p.10, the risk
// score, the last event and how well the connection carries.

import type { Layer, RuleState, SittingSummary } from "./gen/protocol";
import { h } from "./dom";
import { eventText, ruleTitle } from "./events";
import { rules, stateMark } from "./flags";
import { t } from "./i18n";
import { Watch, type Signal } from "./rtc";

export interface TileHost extends Signal {
  /** The layer tiles watch: thumb, unless the page was told otherwise. */
  readonly gridLayer: Layer;
  open(id: string): void;
}

/** How long a connected thumb watch may go without a single packet before
 * the tile falls back to the full camera (an agent that publishes no
 * thumbnail layer). */
const thumbGraceMs = 6000;

export type Quality = "good" | "fair" | "poor" | "lost" | "none";

/** How long a tile keeps watching a sitting whose agent is away. */
const keepWatchMs = 30000;

export class Tile {
  readonly el: HTMLElement;
  summary: SittingSummary;
  watch: Watch | null = null;
  /** Frames per second decoded over the last stats interval. */
  fps = 0;
  quality: Quality = "none";
  private readonly video: HTMLVideoElement;
  private readonly stateBadge: HTMLElement;
  private readonly title: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly risk: HTMLElement;
  private readonly link: HTMLElement;
  private readonly marks: HTMLElement;
  private readonly badges: HTMLElement;
  private readonly last: HTMLElement;
  private readonly videoNote: HTMLElement;
  private thumbMissing = false;
  /** When the watch connected; a thumb watch that receives no packet at
   * all for thumbGraceMs after that means the agent sends no thumbnail. */
  private connectedAt = 0;
  private lastFrames = -1;
  private lastLost = 0;
  private lastReceived = 0;
  private lastAt = 0;
  private alertTimer: number | undefined;

  constructor(
    s: SittingSummary,
    private readonly host: TileHost,
  ) {
    this.summary = s;
    this.video = h("video", { autoplay: true, muted: true, playsinline: true, class: "camera" });
    this.video.muted = true;
    this.stateBadge = h("span", { class: "badge" });
    this.title = h("h2", { id: `pin-${s.id}` });
    this.meta = h("p", { class: "meta" });
    this.risk = h("span", { class: "risk" });
    this.link = h("span", { class: "link" });
    this.marks = h("span", { class: "marks" });
    this.badges = h("ul", { class: "rules", "aria-label": t("dashboard.rules") });
    this.last = h("p", { class: "last" });
    this.videoNote = h("p", { class: "video-note" });
    this.el = h(
      "article",
      { class: "tile", "data-sitting": s.id, "data-pin": s.pin, tabindex: -1, "aria-labelledby": `pin-${s.id}` },
      h("div", { class: "tile-head" }, this.title, this.risk),
      h("div", { class: "tile-sub" }, this.meta, this.stateBadge, this.link, this.marks),
      h("div", { class: "video-box" }, this.video, this.videoNote),
      this.badges,
      this.last,
    );
    this.el.addEventListener("click", () => this.host.open(this.summary.id));
    this.el.addEventListener("keydown", (ev: KeyboardEvent) => {
      if ((ev.key === "Enter" || ev.key === " ") && ev.target === this.el) {
        ev.preventDefault();
        this.host.open(this.summary.id);
      }
    });
    this.render();
  }

  update(s: SittingSummary): void {
    const was = this.summary;
    this.summary = s;
    if (s.media && !was.media) this.thumbMissing = false; // the agent published again
    this.render();
    this.syncVideo();
  }

  /** Marks the tile for a new violation for a few seconds (no focus moves). */
  alert(): void {
    this.el.classList.add("alert");
    window.clearTimeout(this.alertTimer);
    this.alertTimer = window.setTimeout(() => this.el.classList.remove("alert"), 8000);
  }

  render(): void {
    const s = this.summary;
    this.title.textContent = t("ui.pin", { pin: s.pin });
    this.stateBadge.textContent = t(`ui.state.${s.state}`);
    this.stateBadge.className = `badge state-${s.state}`;
    this.meta.textContent = `${s.competition} · ${s.stage}`;
    const risk = formatRisk(s.risk);
    this.risk.textContent = risk;
    this.risk.className = `risk ${riskClass(s.risk)}`;
    this.risk.setAttribute("aria-label", t("dashboard.risk_label", { risk }));
    this.risk.title = t("dashboard.risk_label", { risk });
    this.renderLink();
    const marks: Node[] = [];
    if (s.open_flags > 0) marks.push(h("span", { class: "open-flags" }, t("dashboard.open_flags", { n: String(s.open_flags) })));
    if (s.paused) marks.push(h("span", { class: "paused-mark" }, t("dashboard.paused")));
    if (s.verdict) marks.push(h("span", { class: `verdict-mark verdict-${s.verdict.outcome}` }, t(`dashboard.verdict.${s.verdict.outcome}`)));
    this.marks.replaceChildren(...marks);
    this.badges.setAttribute("aria-label", t("dashboard.rules"));
    this.badges.replaceChildren(
      ...rules.map((id) => {
        const st = s.rules?.[id];
        const state: RuleState = st?.state ?? "no_data";
        const label = t("dashboard.rule_badge", {
          rule: id,
          title: ruleTitle(id),
          state: t(`dashboard.rule_state.${state}`),
        });
        const extra = [st?.active ? t("dashboard.rule_active") : "", st?.open ? t("dashboard.open_flags", { n: String(st.open) }) : ""]
          .filter(Boolean)
          .join(", ");
        const full = extra ? `${label}, ${extra}` : label;
        return h(
          "li",
          { class: `rule-badge rs-${state}${st?.active ? " active" : ""}`, "data-rule": id, "data-state": state, "aria-label": full, title: full },
          h("span", { "aria-hidden": "true" }, `${id.slice(3)}${stateMark(state)}`),
        );
      }),
    );
    const e = s.last_event;
    this.last.replaceChildren(
      ...(e
        ? [
            h("span", { class: "visually-hidden" }, `${t("dashboard.last_event")}: `),
            h("span", { class: `sev sev-${e.severity}` }, t("ui.rule", { rule: e.rule })),
            " ",
            eventText({ ...e, seq: 0, subject: "" }),
          ]
        : [t("dashboard.no_events")]),
    );
    this.last.className = `last${e ? ` sev-${e.severity}` : ""}`;
    if (!this.watch) this.videoNote.textContent = s.media ? t("ui.video.connecting") : t("ui.video.none");
  }

  private renderLink(): void {
    const q = this.quality;
    const text = t(`dashboard.link.${q}`);
    const fps = this.watch && q !== "lost" && q !== "none" ? ` · ${Math.round(this.fps)} ${t("dashboard.fps")}` : "";
    const reconnects = this.summary.reconnects ? ` · ${t("dashboard.reconnects", { n: String(this.summary.reconnects) })}` : "";
    this.link.className = `link q-${q}`;
    this.link.replaceChildren(h("span", { class: "bars", "aria-hidden": "true" }), h("span", { class: "link-text" }, `${text}${fps}${reconnects}`));
    this.link.setAttribute("title", t("dashboard.link_label", { quality: text }) + fps + reconnects);
  }

  /** Watches the camera while the agent publishes. An agent that
   * reconnects keeps the same outgoing tracks at the server, so the watch
   * stays through a short absence (the picture resumes with the next
   * keyframe) and ends only when the sitting ends or the agent stays away
   * for keepWatchMs. */
  syncVideo(): void {
    const s = this.summary;
    const want = s.state === "live" && s.media;
    if (want) {
      window.clearTimeout(this.stopTimer);
      this.stopTimer = undefined;
      if (!this.watch) this.startWatch();
    } else if (this.watch) {
      if (s.state === "ended") this.stopWatch();
      else if (this.stopTimer === undefined) {
        this.stopTimer = window.setTimeout(() => {
          this.stopTimer = undefined;
          if (!(this.summary.state === "live" && this.summary.media)) this.stopWatch();
        }, keepWatchMs);
      }
    }
    this.computeQuality();
  }

  private stopTimer: number | undefined;

  private startWatch(): void {
    const layer: Layer = this.thumbMissing ? "full" : this.host.gridLayer;
    this.connectedAt = 0;
    this.lastFrames = -1;
    this.watch = new Watch(this.host, {
      sitting: this.summary.id,
      layer,
      video: 1,
      audio: false,
      onTrack: (track) => {
        this.video.srcObject = new MediaStream([track]);
        void this.video.play().catch(() => undefined);
      },
      onState: (st) => {
        if (st === "connected") {
          this.videoNote.textContent = "";
          if (this.connectedAt === 0) this.connectedAt = performance.now();
        }
      },
    });
  }

  private stopWatch(): void {
    this.watch?.close();
    this.watch = null;
    this.video.srcObject = null;
    this.fps = 0;
    this.render();
  }

  /** The view channel reconnected: keep the video, offer again. */
  resync(): void {
    this.watch?.resync();
  }

  /** Samples the video's statistics; called every couple of seconds. */
  async sample(): Promise<void> {
    const w = this.watch;
    if (!w) {
      this.computeQuality();
      return;
    }
    const st = await w.videoStats();
    const now = performance.now();
    const frames = st?.framesDecoded ?? 0;
    if (this.lastFrames >= 0 && now > this.lastAt) {
      this.fps = ((frames - this.lastFrames) * 1000) / (now - this.lastAt);
      const got = (st?.packetsReceived ?? 0) - this.lastReceived;
      const lost = (st?.packetsLost ?? 0) - this.lastLost;
      this.lossRatio = got + lost > 0 ? Math.max(0, lost) / (got + lost) : 0;
    }
    this.lastFrames = frames;
    this.lastReceived = st?.packetsReceived ?? 0;
    this.lastLost = st?.packetsLost ?? 0;
    this.lastAt = now;
    if (w.opts.layer === "thumb" && (st?.packetsReceived ?? 0) === 0 && this.connectedAt > 0 && now - this.connectedAt > thumbGraceMs && this.summary.media) {
      // No thumbnail layer from this agent: the full camera instead.
      this.thumbMissing = true;
      this.stopWatch();
      this.syncVideo();
      return;
    }
    this.computeQuality();
  }

  private lossRatio = 0;

  private computeQuality(): void {
    const s = this.summary;
    let q: Quality;
    if (s.link === "lost") q = "lost";
    else if (s.link === "none" || s.link === undefined || s.state !== "live") q = "none";
    else if (s.link === "degraded" || !this.watch) q = "poor";
    else if (this.lastFrames < 0) q = "fair";
    else if (this.fps >= 4 && this.lossRatio < 0.02) q = "good";
    else if (this.fps >= 1 && this.lossRatio < 0.1) q = "fair";
    else q = "poor";
    if (q !== this.quality) {
      this.quality = q;
      this.el.dataset["quality"] = q;
    }
    this.renderLink();
  }

  dispose(): void {
    window.clearTimeout(this.stopTimer);
    this.stopWatch();
    window.clearTimeout(this.alertTimer);
  }
}

export function formatRisk(r: number): string {
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

function riskClass(r: number): string {
  if (r >= 35) return "risk-high";
  if (r >= 10) return "risk-mid";
  if (r > 0) return "risk-low";
  return "risk-none";
}
