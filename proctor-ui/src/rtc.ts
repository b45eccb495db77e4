// Watching a sitting's media over WebRTC, and keeping it up without a page
// reload: when ICE fails (or stays disconnected for 2 s) the connection
// restarts ICE and offers again on the same view; when the view channel
// reconnects the connection offers again so the server takes back the peer
// it kept; if the server has no such peer any more (it restarted), the
// answer does not fit and the watch starts over with a new connection.

import type { Layer, ViewerToServerMessage } from "./gen/protocol";

/** The body of a message of the view channel, by type. */
export type BodyOf<T extends ViewerToServerMessage["type"]> = Extract<ViewerToServerMessage, { type: T }>["body"];

export interface Signal {
  send<T extends ViewerToServerMessage["type"]>(type: T, body: BodyOf<T>): boolean;
  /** Every open watching connection by view id (for tests and benchmarks). */
  readonly peers: Map<string, RTCPeerConnection>;
}

export interface WatchOptions {
  sitting: string;
  layer: Layer;
  /** How many video transceivers to offer (full: camera, screen). */
  video: number;
  audio: boolean;
  /** A track arrived on the transceiver at index (videos first, then audio). */
  onTrack: (track: MediaStreamTrack, index: number) => void;
  onState?: (state: RTCPeerConnectionState) => void;
}

export interface VideoStats {
  framesDecoded: number;
  packetsReceived: number;
  packetsLost: number;
  frameWidth: number;
}

export class Watch {
  pc: RTCPeerConnection | null = null;
  view = "";
  /** How often ICE was restarted and the connection rebuilt (tests read it). */
  iceRestarts = 0;
  rebuilds = 0;
  private timer: number | undefined;
  private closed = false;

  constructor(
    private readonly sig: Signal,
    readonly opts: WatchOptions,
  ) {
    this.start();
  }

  private start(): void {
    const o = this.opts;
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.view = `v-${o.sitting}-${o.layer}-${Math.random().toString(36).slice(2, 10)}`;
    const view = this.view;
    this.sig.peers.set(view, pc);
    const trs: RTCRtpTransceiver[] = [];
    for (let i = 0; i < o.video; i++) trs.push(pc.addTransceiver("video", { direction: "recvonly" }));
    if (o.audio) trs.push(pc.addTransceiver("audio", { direction: "recvonly" }));
    pc.ontrack = (ev: RTCTrackEvent) => o.onTrack(ev.track, trs.indexOf(ev.transceiver));
    pc.onicecandidate = (ev: RTCPeerConnectionIceEvent) => {
      if (!ev.candidate || this.pc !== pc) return;
      const c = ev.candidate.toJSON();
      this.sig.send("candidate", {
        view,
        candidate: {
          candidate: c.candidate ?? "",
          sdpMid: c.sdpMid ?? undefined,
          sdpMLineIndex: c.sdpMLineIndex ?? undefined,
          usernameFragment: c.usernameFragment ?? undefined,
        },
      });
    };
    pc.oniceconnectionstatechange = () => this.iceChanged(pc);
    pc.onconnectionstatechange = () => {
      if (this.pc === pc) o.onState?.(pc.connectionState);
    };
    void this.offer(pc, false);
  }

  private async offer(pc: RTCPeerConnection, iceRestart: boolean): Promise<void> {
    try {
      const offer = await pc.createOffer({ iceRestart });
      if (this.pc !== pc) return;
      await pc.setLocalDescription(offer);
      this.sig.send("watch", { view: this.view, sitting: this.opts.sitting, sdp: pc.localDescription?.sdp ?? "", layer: this.opts.layer });
    } catch {
      if (this.pc === pc) this.rebuild();
    }
  }

  owns(view: string): boolean {
    return view === this.view;
  }

  async answered(sdp: string): Promise<void> {
    const pc = this.pc;
    if (!pc || pc.signalingState !== "have-local-offer") return;
    try {
      await pc.setRemoteDescription({ type: "answer", sdp });
    } catch {
      // Another peer answered (the server lost ours): start over.
      if (this.pc === pc) this.rebuild();
    }
  }

  addCandidate(c: RTCIceCandidateInit): void {
    void this.pc?.addIceCandidate(c).catch(() => undefined);
  }

  /** The view channel is back: offer again on the same connection. */
  resync(): void {
    const pc = this.pc;
    if (!pc) return;
    const up = pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed";
    void this.offer(pc, !up);
  }

  private iceChanged(pc: RTCPeerConnection): void {
    if (this.pc !== pc) return;
    window.clearTimeout(this.timer);
    switch (pc.iceConnectionState) {
      case "failed":
        this.restartIce();
        break;
      case "disconnected":
        this.timer = window.setTimeout(() => {
          if (this.pc === pc && pc.iceConnectionState === "disconnected") this.restartIce();
        }, 2000);
        break;
    }
  }

  /** Restarts ICE on the same connection (new credentials, same DTLS). */
  restartIce(): void {
    const pc = this.pc;
    if (!pc) return;
    this.iceRestarts++;
    pc.restartIce();
    void this.offer(pc, true);
  }

  /** Drops the connection and watches again with a new one. */
  rebuild(): void {
    this.rebuilds++;
    this.dispose();
    if (!this.closed) this.start();
  }

  private dispose(): void {
    window.clearTimeout(this.timer);
    const pc = this.pc;
    if (!pc) return;
    this.sig.send("unwatch", { view: this.view });
    this.sig.peers.delete(this.view);
    this.pc = null;
    pc.close();
  }

  close(): void {
    this.closed = true;
    this.dispose();
  }

  /** Totals of the first inbound video stream (for fps and loss). */
  async videoStats(): Promise<VideoStats | null> {
    const pc = this.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    let out: VideoStats | null = null;
    report.forEach((s: { type: string; kind?: string; mid?: string; framesDecoded?: number; packetsReceived?: number; packetsLost?: number; frameWidth?: number }) => {
      if (s.type !== "inbound-rtp" || s.kind !== "video" || (out && s.mid !== "0")) return;
      out = { framesDecoded: s.framesDecoded ?? 0, packetsReceived: s.packetsReceived ?? 0, packetsLost: s.packetsLost ?? 0, frameWidth: s.frameWidth ?? 0 };
    });
    return out;
  }
}
