// A protocol WebSocket that reconnects by itself. Messages are the
// generated protocol types; the caller says what to send on every
// (re)connect (a subscribe with what it already has), so a dropped
// connection loses and repeats nothing.

import { PROTOCOL_VERSION } from "./gen/protocol";

export type ChannelState = "connecting" | "open" | "closed";

export interface ChannelOptions<In> {
  path: string;
  onMessage: (m: In) => void;
  onOpen: () => void;
  onState: (s: ChannelState) => void;
  /** Called when the server closed for a reason retrying cannot fix. */
  onFatal: (code: number, reason: string) => void;
}

// Close codes after which reconnecting cannot help (protocol/errors.go).
const fatalCodes = new Set([4000, 4001, 4002, 4003, 4401, 4403, 4409]);

export class Channel<In extends { type: string }, Out extends { type: string; body: unknown }> {
  private ws: WebSocket | null = null;
  private backoff = 500;
  private stopped = false;
  private timer: number | undefined;

  constructor(private readonly opts: ChannelOptions<In>) {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.opts.onState("connecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}${this.opts.path}`);
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 500;
      this.opts.onState("open");
      this.opts.onOpen();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== "string") return;
      let m: In;
      try {
        m = JSON.parse(ev.data) as In;
      } catch {
        return;
      }
      this.opts.onMessage(m);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.opts.onState("closed");
      if (fatalCodes.has(ev.code)) {
        this.stopped = true;
        this.opts.onFatal(ev.code, ev.reason);
        return;
      }
      const wait = this.hold + this.backoff / 2 + Math.random() * (this.backoff / 2);
      this.hold = 0;
      this.backoff = Math.min(this.backoff * 2, 15000);
      this.timer = window.setTimeout(() => this.connect(), wait);
    };
  }

  send(type: Out["type"], body: Out["body"]): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type, body }));
    return true;
  }

  /** Drops the connection now and reconnects after holdMs (plus the usual
   * backoff); tests use it to cut the feed as a flaky network would. */
  drop(holdMs = 0): void {
    this.hold = holdMs;
    this.ws?.close();
  }

  private hold = 0;

  close(): void {
    this.stopped = true;
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.ws?.close();
  }
}
