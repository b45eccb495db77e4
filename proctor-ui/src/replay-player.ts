// Plays a sitting's camera and screen recordings in sync on one clock: the
// wall-clock time of the sitting. Each recording segment says when its
// first frame was taken (start), so position T plays segment s at
// currentTime (T - s.start). Between segments (the agent was gone, the
// camera was off) the clock runs on by itself, so the two lanes and the
// timeline never drift apart.

import type { Recording } from "./replay-types";
import { ms } from "./replay-types";

/** One video element playing one series of segments (camera or screen). */
class Lane {
  cur: Recording | null = null;
  private want = -1; // seconds to seek to once the segment's metadata loaded

  constructor(
    readonly el: HTMLVideoElement,
    readonly segs: Recording[],
    private readonly onGap: (gap: boolean) => void,
  ) {
    el.preload = "auto";
    el.playsInline = true;
    el.addEventListener("loadedmetadata", () => {
      if (this.want >= 0) {
        el.currentTime = this.want;
        this.want = -1;
      }
    });
  }

  /** The segment that covers time t (ms), if any: the latest to start
   * by t, if it has not ended (a quarter second of grace covers the last
   * frame's duration). */
  segAt(t: number): Recording | null {
    let best: Recording | null = null;
    for (const s of this.segs) {
      if (ms(s.start) <= t && (!best || ms(s.start) >= ms(best.start))) best = s;
    }
    return best && t < ms(best.end) + 250 ? best : null;
  }

  /** The lane's position (ms) if it is playing a segment now. */
  position(): number | null {
    if (!this.cur || this.el.paused || this.el.readyState < 2) return null;
    return ms(this.cur.start) + this.el.currentTime * 1000;
  }

  /** Shows time t: loads its segment and seeks, or shows the gap. */
  show(t: number, rate: number, playing: boolean, force: boolean): void {
    const seg = this.segAt(t);
    const offset = seg ? Math.max(0, (t - ms(seg.start)) / 1000) : 0;
    if (seg !== this.cur) {
      this.cur = seg;
      this.onGap(!seg);
      if (!seg || !seg.url) {
        this.el.pause();
        this.el.removeAttribute("src");
        this.el.load();
        return;
      }
      this.el.src = seg.url;
      this.want = offset;
    } else if (seg && (force || Math.abs(this.el.currentTime - offset) > 0.4)) {
      if (this.el.readyState >= 1) this.el.currentTime = offset;
      else this.want = offset;
    }
    if (!seg) return;
    this.el.playbackRate = rate;
    if (playing && this.el.paused && !this.el.ended) void this.el.play().catch(() => undefined);
    if (!playing && !this.el.paused) this.el.pause();
  }
}

export interface PlayerHooks {
  /** Called on every frame with the position (ms since the epoch). */
  onTime: (t: number) => void;
  /** Called when a lane enters or leaves a stretch without recording. */
  onGap: (lane: "camera" | "screen", gap: boolean) => void;
  onPlaying: (playing: boolean) => void;
}

/** Plays the camera and screen lanes on one clock between start and end. */
export class Player {
  readonly camera: Lane;
  readonly screen: Lane;
  private pos: number;
  private rate = 1;
  private playing = false;
  private last = 0;
  private raf = 0;

  constructor(
    cameraEl: HTMLVideoElement,
    screenEl: HTMLVideoElement,
    recordings: Recording[],
    readonly start: number,
    readonly end: number,
    private readonly hooks: PlayerHooks,
  ) {
    const playable = recordings.filter((r) => !r.deleted && r.url);
    // The camera series holds the microphone too: an audio-only segment
    // (camera off, rule 10.6) still plays, for what was said (rule 10.8).
    this.camera = new Lane(cameraEl, playable.filter((r) => r.kind === "camera"), (g) => hooks.onGap("camera", g));
    this.screen = new Lane(screenEl, playable.filter((r) => r.kind === "screen"), (g) => hooks.onGap("screen", g));
    // Start where the camera's video starts, else at the first recording.
    const firstOf = (rs: Recording[]): number | undefined => rs.map((r) => ms(r.start)).sort((a, b) => a - b)[0];
    this.pos = firstOf(playable.filter((r) => r.kind === "camera" && r.video)) ?? firstOf(playable) ?? start;
    this.sync(true);
  }

  get position(): number {
    return this.pos;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  /** Moves the clock to t (ms) and both lanes with it. */
  seek(t: number): void {
    this.pos = Math.min(Math.max(t, this.start), this.end);
    this.sync(true);
  }

  setRate(rate: number): void {
    this.rate = rate;
    this.sync(false);
  }

  play(): void {
    if (this.playing) return;
    if (this.pos >= this.end) this.pos = this.start;
    this.playing = true;
    this.last = performance.now();
    this.hooks.onPlaying(true);
    this.sync(false);
    this.tick();
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.hooks.onPlaying(false);
    this.sync(false);
  }

  private sync(force: boolean): void {
    this.camera.show(this.pos, this.rate, this.playing, force);
    this.screen.show(this.pos, this.rate, this.playing, force);
    this.hooks.onTime(this.pos);
  }

  private tick = (): void => {
    if (!this.playing) return;
    const now = performance.now();
    const dt = now - this.last;
    this.last = now;
    // The camera leads while it plays, then the screen; in a gap the clock
    // runs at the chosen rate.
    const lead = this.camera.position() ?? this.screen.position();
    this.pos = lead ?? this.pos + dt * this.rate;
    if (this.pos >= this.end) {
      this.pos = this.end;
      this.pause();
      return;
    }
    this.camera.show(this.pos, this.rate, true, false);
    this.screen.show(this.pos, this.rate, true, false);
    this.hooks.onTime(this.pos);
    this.raf = requestAnimationFrame(this.tick);
  };

  close(): void {
    this.pause();
    for (const el of [this.camera.el, this.screen.el]) {
      el.pause();
      el.removeAttribute("src");
      el.load();
    }
  }
}
