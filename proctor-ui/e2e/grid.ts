// A grid of n live sittings: a real server, n real agents on synthetic
// cameras (lightAgent), and a proctor's dashboard in one headless Chromium
// tab. Measures frames decoded per second per tile (getStats), and the CPU
// of the browser, the server and the agents over a window.

import type { Browser, Page } from "playwright-core";
import { chromiumCPU, createSittings, framesBySitting, launch, lightAgent, login, startAgent, startServer, treeCPU, waitFor, type Proc, type System } from "./harness.js";
import { startPublishers, thumbFramesSent, type Publishers } from "./publishers.js";

export interface GridRun {
  sys: System;
  agents: Proc[];
  publishers: Publishers | null;
  browser: Browser;
  page: Page;
  stop: () => Promise<void>;
}

export interface GridOptions {
  /** How many of the sittings get a real kuzet-agent (the rest get
   * synthetic publishers, see publishers.ts). Default: all. */
  real?: number;
  /** Flags for the real agents (default lightAgent). */
  agentArgs?: string[];
}

/** Starts n sittings with their publishers and a dashboard showing them all. */
export async function startGrid(n: number, opts: GridOptions = {}): Promise<GridRun> {
  const real = Math.min(n, opts.real ?? n);
  const sys = await startServer();
  const extra = await createSittings(sys, n - 1, [sys.demo.proctor_user]);
  const tokens = [sys.demo.sitting_token, ...extra.map((s) => s.token)];
  const agents: Proc[] = [];
  for (const token of tokens.slice(0, real)) {
    agents.push(startAgent(sys, token, opts.agentArgs ?? lightAgent));
    await new Promise((r) => setTimeout(r, 100)); // not all at one instant
  }
  const publishers = real < n ? await startPublishers(sys, tokens.slice(real)) : null;
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await login(page, sys);
  const stop = async (): Promise<void> => {
    await browser.close();
    await publishers?.stop();
    await Promise.all(agents.map((a) => a.stop()));
    await sys.stop();
  };
  try {
    await waitFor(`${n} live tiles`, async () => (await page.locator("article.tile .badge.state-live").count()) === n, 120000);
    await waitFor(`frames on all ${n} tiles`, async () => {
      const f = await framesBySitting(page);
      return Object.keys(f).length === n && Object.values(f).every((x) => x > 0);
    }, 120000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { sys, agents, publishers, browser, page, stop };
}

export interface GridMeasure {
  tiles: number;
  seconds: number;
  /** Frames decoded per second, per tile, sorted ascending. */
  fps: number[];
  /** CPU used over the window, in cores (1 = one core busy all the time):
   * the dashboard's browser, the server, and the publishers (real agents
   * and the synthetic publishers' browser). */
  browserCores: number;
  serverCores: number;
  agentCores: number;
  /** Thumbnail frames per second the synthetic publishers sent, sorted. */
  sentFps: number[];
  /** Layers the tiles watched (thumb, or full when an agent has none). */
  layers: Record<string, number>;
}

/** Measures a running grid over seconds. */
export async function measureGrid(run: GridRun, seconds: number): Promise<GridMeasure> {
  const serverPid = run.sys.server.child.pid ?? 0;
  const agentPids = run.agents.map((a) => a.child.pid ?? 0);
  const pubPid = run.publishers?.pid ?? 0;
  const cpu = (): { b: number; s: number; a: number } => {
    const pub = pubPid ? treeCPU(pubPid) : 0;
    return {
      b: chromiumCPU() - pub,
      s: treeCPU(serverPid),
      a: agentPids.reduce((sum, p) => sum + treeCPU(p), 0) + pub,
    };
  };
  const f0 = await framesBySitting(run.page);
  const s0 = run.publishers ? await thumbFramesSent(run.publishers) : [];
  const c0 = cpu();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const f1 = await framesBySitting(run.page);
  const s1 = run.publishers ? await thumbFramesSent(run.publishers) : [];
  const c1 = cpu();
  const dt = (Date.now() - t0) / 1000;
  const sentFps = s1.map((x, i) => (x - (s0[i] ?? 0)) / dt).sort((a, b) => a - b);
  const fps = Object.keys(f1)
    .map((id) => ((f1[id] ?? 0) - (f0[id] ?? 0)) / dt)
    .sort((a, b) => a - b);
  const layers = await run.page.evaluate(() => {
    const out: Record<string, number> = {};
    const w = window as unknown as { kuzet?: { dashboard: { tiles: Map<string, { watch: { opts: { layer: string } } | null }> } } };
    for (const tile of w.kuzet?.dashboard.tiles.values() ?? []) {
      const l = tile.watch?.opts.layer ?? "none";
      out[l] = (out[l] ?? 0) + 1;
    }
    return out;
  });
  return {
    tiles: fps.length,
    seconds: dt,
    fps,
    browserCores: (c1.b - c0.b) / dt,
    serverCores: (c1.s - c0.s) / dt,
    agentCores: (c1.a - c0.a) / dt,
    layers,
    sentFps,
  };
}

export function describe(m: GridMeasure): string {
  const med = m.fps[Math.floor(m.fps.length / 2)] ?? 0;
  return (
    `${m.tiles} tiles over ${m.seconds.toFixed(1)} s: fps per tile min ${(m.fps[0] ?? 0).toFixed(2)}, median ${med.toFixed(2)}, max ${(m.fps[m.fps.length - 1] ?? 0).toFixed(2)}; ` +
    (m.sentFps.length ? `synthetic publishers sent min ${(m.sentFps[0] ?? 0).toFixed(2)} fps; ` : "") +
    `layers ${JSON.stringify(m.layers)}; CPU in cores: browser ${m.browserCores.toFixed(2)}, server ${m.serverCores.toFixed(2)}, publishers ${m.agentCores.toFixed(2)}`
  );
}

export { launch };
