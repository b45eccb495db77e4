// The focus view carries more than the camera: the candidate's screen
// (rule 10.11) from a real X display, and the microphone (rule 10.8), which
// the proctor can unmute. A real kuzet-agent captures a real Xvfb screen and
// a synthetic microphone; the proctor's Chromium must show the screen's
// colour, follow it when it changes, and receive and play the audio.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { Page } from "playwright-core";
import { launch, login, shot, startAgent, startServer, startXvfb, waitFor, type Proc } from "./harness.js";

interface FocusHook {
  kuzet?: { dashboard: { focus: { watch: { pc: RTCPeerConnection | null } } | null } };
}

/** Paints the X display's root window one colour, as a person's desktop. */
function paint(display: string, colour: string): void {
  const r = spawnSync("xsetroot", ["-solid", colour], { env: { ...process.env, DISPLAY: display }, encoding: "utf8" });
  assert.equal(r.status, 0, `xsetroot (package x11-xserver-utils) failed: ${r.error?.message ?? r.stderr}`);
}

/** The colour at the centre of the focus view's screen video, as drawn. */
function screenPixel(page: Page): Promise<{ w: number; h: number; rgb: number[] }> {
  return page.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>(".focus video.focus-screen");
    if (!v || v.videoWidth === 0) return { w: 0, h: 0, rgb: [] };
    const c = document.createElement("canvas");
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext("2d");
    if (!g) return { w: 0, h: 0, rgb: [] };
    g.drawImage(v, 0, 0);
    const d = g.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
    return { w: v.videoWidth, h: v.videoHeight, rgb: [d[0] ?? 0, d[1] ?? 0, d[2] ?? 0] };
  });
}

/** The focus view's inbound audio: RTP packets and decoded samples so far. */
function audioIn(page: Page): Promise<{ packets: number; samples: number }> {
  return page.evaluate(async () => {
    const pc = (window as unknown as FocusHook).kuzet?.dashboard.focus?.watch.pc;
    let packets = 0;
    let samples = 0;
    if (pc) {
      (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number; totalSamplesReceived?: number }) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") {
          packets += s.packetsReceived ?? 0;
          samples += s.totalSamplesReceived ?? 0;
        }
      });
    }
    return { packets, samples };
  });
}

const near = (rgb: number[], want: number[]): boolean => rgb.length === 3 && rgb.every((v, i) => Math.abs(v - (want[i] ?? 0)) < 40);

test("the focus view shows the candidate's screen (10.11) and plays the microphone (10.8)", { timeout: 180000 }, async () => {
  const x = await startXvfb("1280x720x24");
  const sys = await startServer();
  let agent: Proc | undefined;
  const browser = await launch();
  try {
    const red = [0xc0, 0x30, 0x20];
    const blue = [0x20, 0x40, 0xc0];
    paint(x.name, "#c03020");
    agent = startAgent(sys, sys.demo.sitting_token, ["--mic", "test", "--no-checks", "--screen-fps", "2"], { DISPLAY: x.name });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);
    const tile = page.locator(`article.tile[data-pin="${sys.demo.pin}"]`);
    await tile.locator(".badge.state-live").waitFor({ timeout: 30000 });
    await tile.click();
    await page.locator(".focus").waitFor();

    // The screen: the display's shape and the colour on it.
    try {
      await waitFor("the screen's red desktop in the focus view", async () => near((await screenPixel(page)).rgb, red), 30000);
    } catch (e) {
      await shot(page, "focus-screen-failed");
      throw new Error(`${String(e)}: the screen video shows ${JSON.stringify(await screenPixel(page))}; agent:\n${agent.out().slice(-3000)}`);
    }
    const first = await screenPixel(page);
    assert.ok(Math.abs(first.w / first.h - 1280 / 720) < 0.02, `the screen video is ${first.w}x${first.h}, not the 16:9 display`);
    assert.ok(first.w > 320, `the screen video is ${first.w} wide: is it the camera?`);
    // The desktop changes and the proctor sees it change.
    paint(x.name, "#2040c0");
    await waitFor("the desktop turning blue in the focus view", async () => near((await screenPixel(page)).rgb, blue), 15000);
    await page.locator(".focus video.focus-screen").scrollIntoViewIfNeeded();
    await shot(page, "focus-screen");

    // The microphone: packets arrive and are decoded, muted at first.
    await waitFor("audio packets in the focus view", async () => (await audioIn(page)).packets > 0, 20000);
    const a0 = await audioIn(page);
    await new Promise((r) => setTimeout(r, 3000));
    const a1 = await audioIn(page);
    assert.ok(a1.packets - a0.packets >= 30, `only ${a1.packets - a0.packets} audio packets in 3 s`);
    assert.ok(a1.samples > a0.samples, "audio packets arrive but no samples are decoded");
    const audioEl = page.locator(".focus .audio-row audio");
    assert.equal(await audioEl.evaluate((el) => (el as HTMLAudioElement).muted), true, "the microphone plays before the proctor unmutes it");
    const unmute = page.locator(".focus button.unmute");
    assert.equal(await unmute.innerText(), "Unmute");
    await unmute.click();
    assert.equal(await unmute.getAttribute("aria-pressed"), "true");
    assert.equal(await unmute.innerText(), "Mute");
    const played = async (): Promise<number> => audioEl.evaluate((el) => (el as HTMLAudioElement).currentTime);
    const t0 = await played();
    await waitFor("the microphone playing", async () => (await played()) > t0 + 1, 10000);
    assert.equal(await audioEl.evaluate((el) => (el as HTMLAudioElement).muted), false);
  } finally {
    await browser.close();
    await agent?.stop();
    await sys.stop();
    await x.proc.stop();
  }
});
