// The walking skeleton in a real browser: a proctor logs in, sees the
// demo sitting by PIN, its camera plays (frames decoded, per getStats), and
// an event raised at the agent appears in the feed and on the candidate's
// page.

import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, login, shot, startAgent, startServer, waitFor } from "./harness.js";

test("proctor sees the live camera and the events of a sitting", { timeout: 180000 }, async () => {
  const sys = await startServer();
  const agent = startAgent(sys, sys.demo.sitting_token);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);

    const tile = page.locator(`article.tile[data-pin="${sys.demo.pin}"]`);
    await tile.waitFor({ timeout: 30000 });
    assert.match(await tile.locator("h2").innerText(), new RegExp(`PIN ${sys.demo.pin}`));
    // The candidate is known by PIN only (p.74-1): nothing else identifies them.
    assert.doesNotMatch(await page.locator("body").innerText(), /IIN|ИИН/);
    await tile.locator(".badge.state-live").waitFor({ timeout: 30000 });

    // The video plays: frames decoded keep increasing, and the element plays.
    const decoded = async (): Promise<number> =>
      page.evaluate(async () => {
        let n = 0;
        const w = window as unknown as { kuzet?: { dashboard: { peers: Map<string, RTCPeerConnection> } } };
        for (const pc of w.kuzet?.dashboard.peers.values() ?? []) {
          const stats = await pc.getStats();
          stats.forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
            if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded ?? 0;
          });
        }
        return n;
      });
    await waitFor("frames decoded", async () => (await decoded()) > 10, 45000);
    const first = await decoded();
    await new Promise((r) => setTimeout(r, 2000));
    const second = await decoded();
    assert.ok(second > first + 5, `framesDecoded went from ${first} to ${second} in 2 s`);
    // The grid plays the thumbnail layer (or the full camera from an agent
    // that publishes none); the focus view plays the full 320x240 camera.
    const playing = await tile.locator("video").evaluate((v: HTMLVideoElement) => !v.paused && v.readyState >= 2 && v.currentTime > 0 && v.videoWidth > 0 && v.videoWidth <= 320);
    assert.ok(playing, "the tile's video element is not playing");
    await shot(page, "skeleton-dashboard-live");
    await tile.click();
    const focus = page.locator(`.focus[data-sitting="${sys.demo.sitting_id}"]`);
    await focus.waitFor({ timeout: 10000 });
    await waitFor("the full camera in the focus view", () =>
      focus.locator("video.focus-camera").evaluate((v: HTMLVideoElement) => !v.paused && v.currentTime > 0 && v.videoWidth === 320), 30000);

    // An event at the agent: the camera stops (SIGUSR1), rule 10.6 starts.
    agent.child.kill("SIGUSR1");
    const lost = focus.locator('ol.timeline li.event.sev-violation[data-rule="10.6"]');
    await lost.waitFor({ timeout: 15000 });
    assert.match(await lost.innerText(), /Rule 10\.6/);
    assert.match(await lost.innerText(), /No camera frames for 2 s/);
    agent.child.kill("SIGUSR2");
    await focus.locator('ol.timeline li.event.kind-end[data-rule="10.6"]').waitFor({ timeout: 15000 });
    await shot(page, "skeleton-dashboard-event");
    await page.keyboard.press("Escape");
    await tile.locator('li.rule-badge[data-rule="10.6"][data-state="violation"]').waitFor({ timeout: 5000 });

    // The candidate's page, at the link the agent printed, shows the same
    // event naming the rule and what to do.
    const link = /Candidate page: (\S+)/.exec(agent.out())?.[1];
    assert.ok(link, `the agent printed no candidate page link:\n${agent.out()}`);
    const cand = await browser.newPage();
    await cand.goto(link);
    await cand.locator("#pin").waitFor({ timeout: 15000 });
    assert.equal(await cand.locator("#pin").innerText(), sys.demo.pin);
    const ev = cand.locator('#events li[data-rule="10.6"].sev-violation');
    await ev.waitFor({ timeout: 15000 });
    assert.match(await ev.innerText(), /Keep the camera connected/);
    assert.match(await ev.innerText(), /Reconnect the camera/);
    await shot(cand, "skeleton-candidate-page");
  } finally {
    await browser.close();
    const code = await agent.stop();
    await sys.stop();
    assert.equal(code, 0, `agent exit code ${code}; output:\n${agent.out()}`);
  }
});
