// Synthetic publishers for grid tests on a small machine: each speaks the
// real agent channel (hello, offer, candidates, heartbeats) from a page of
// a second headless Chromium and publishes a canvas test pattern as the
// camera and the thumbnail camera ("camera" and "camera_thumb"), encoded by
// Chromium's WebRTC. A real kuzet-agent also analyses its camera and runs
// its system checks, which costs about 5 % of a core each on this machine,
// so thirty of them leave no CPU for the browser under test; these cost a
// fraction of that and go through the same server paths.

import type { Browser, Page } from "playwright-core";
import { chromiumRoots, launch, type System } from "./harness.js";

/** Thumbnail frames sent so far, per publisher, in start order. */
export async function thumbFramesSent(p: Publishers): Promise<number[]> {
  return p.page.evaluate(async () => {
    const pcs = (window as unknown as { pcs?: RTCPeerConnection[] }).pcs ?? [];
    return Promise.all(
      pcs.map(async (pc) => {
        let n = 0;
        (await pc.getStats()).forEach((s: { type: string; mid?: string; framesSent?: number }) => {
          if (s.type === "outbound-rtp" && s.mid === "1") n += s.framesSent ?? 0;
        });
        return n;
      }),
    );
  });
}

export interface Publishers {
  browser: Browser;
  /** The publishers' Chromium process, for its CPU time. */
  pid: number;
  page: Page;
  stop: () => Promise<void>;
}

/** Starts one synthetic publisher per token, at fps frames per second;
 * with thumb false they publish the camera only, as an agent without a
 * thumbnail layer does. */
export async function startPublishers(sys: System, tokens: string[], fps = 7, thumb = true): Promise<Publishers> {
  const before = new Set(chromiumRoots());
  const browser = await launch();
  const pid = chromiumRoots().find((p) => !before.has(p)) ?? 0;
  const page = await browser.newPage();
  // Same origin as the server, as the agent channel requires of browsers.
  await page.goto(`${sys.url}/healthz`);
  await page.evaluate(
    async ({ tokens, fps, withThumb }) => {
      const w = 160;
      const h = 120;
      const start = async (token: string, i: number): Promise<void> => {
        const ws = new WebSocket(`ws://${location.host}/v1/agent`);
        const send = (type: string, body: unknown): void => ws.send(JSON.stringify({ v: 1, type, body }));
        await new Promise((ok, fail) => {
          ws.onopen = ok;
          ws.onerror = fail;
        });
        const canvas = document.createElement("canvas");
        canvas.width = w;
        canvas.height = h;
        const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
        let n = 0;
        window.setInterval(() => {
          const colors = ["#fff", "#ff0", "#0ff", "#0f0", "#f0f", "#f00", "#00f", "#000"];
          colors.forEach((c, k) => {
            ctx.fillStyle = c;
            ctx.fillRect(((k * w) / 8 + n * 2 + i * 7) % w, 0, w / 8, h);
          });
          ctx.fillStyle = "#888";
          ctx.fillRect((n * 3) % w, h / 2, 16, 16);
          n++;
        }, 1000 / fps);
        const stream = canvas.captureStream(fps);
        const camera = stream.getVideoTracks()[0] as MediaStreamTrack;
        const thumb = camera.clone();
        const pc = new RTCPeerConnection();
        ((window as unknown as { pcs?: RTCPeerConnection[] }).pcs ??= []).push(pc);
        pc.addTransceiver(camera, { direction: "sendonly", streams: [stream] });
        if (withThumb) pc.addTransceiver(thumb, { direction: "sendonly", streams: [stream] });
        pc.onicecandidate = (ev) => {
          if (!ev.candidate) return;
          const c = ev.candidate.toJSON();
          send("candidate", { candidate: c.candidate ?? "", sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined });
        };
        ws.onmessage = (ev: MessageEvent) => {
          const m = JSON.parse(String(ev.data)) as {
            type: string;
            body: { sdp?: string; candidate?: string; sdpMid?: string; sdpMLineIndex?: number; candidate_url?: string; consent?: { given: boolean } };
          };
          if (m.type === "welcome") {
            window.setInterval(() => send("heartbeat", { time: new Date().toISOString() }), 500);
            const pageURL = m.body.candidate_url ?? "";
            const given = m.body.consent?.given ?? false;
            void (async () => {
              // Nothing is published before the candidate's consent: the
              // synthetic candidate agrees as the page does.
              if (!given) {
                const page = new URLSearchParams(new URL(pageURL).hash.slice(1)).get("t") ?? "";
                const auth = { Authorization: `Bearer ${page}` };
                const v = (await (await fetch("/v1/consent", { headers: auth })).json()) as { notice: { digest: string } };
                const r = await fetch("/v1/consent", { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ given: true, notice: v.notice.digest, lang: "en" }) });
                if (!r.ok) throw new Error(`consent: ${r.status}`);
              }
              await pc.setLocalDescription(await pc.createOffer());
              // The server names tracks by their id: camera and camera_thumb.
              const sdp = (pc.localDescription?.sdp ?? "").replaceAll(camera.id, "camera").replaceAll(thumb.id, "camera_thumb");
              send("offer", { sdp });
            })();
          }
          if (m.type === "answer" && m.body.sdp) void pc.setRemoteDescription({ type: "answer", sdp: m.body.sdp });
          if (m.type === "candidate" && m.body.candidate) void pc.addIceCandidate(m.body as RTCIceCandidateInit).catch(() => undefined);
        };
        send("hello", { versions: [1], token, agent: { version: "synthetic", os: "linux", arch: "amd64" }, lang: "en" });
      };
      await Promise.all(tokens.map((t, i) => start(t, i)));
    },
    { tokens, fps, withThumb: thumb },
  );
  return { browser, pid, page, stop: () => browser.close() };
}
