// The auditor's replay and the candidate's appeal in a real browser: a
// sitting on generated footage where rule 10.3 fires (the seat is empty for
// 8 s) is recorded; the proctor ends it, reviews the flags and publishes a
// violation; the candidate appeals from the cabinet; the auditor finds the
// sitting by PIN, sees "verified against checkpoint N", plays the
// recordings, clicks the 10.3 span (the video's currentTime moves to the
// event's time), prints the report, and overturns the verdict; the
// candidate's cabinet shows the decision.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { bin, launch, shot, startAgent, startServer, waitFor, type System } from "./harness.js";

interface Creds {
  proctor_user: string;
  proctor_password: string;
  auditor_user: string;
  auditor_password: string;
  sitting_id: string;
  pin: string;
  sitting_token: string;
}

interface Span { kind: string; rule?: string; start: string; end: string; open?: boolean; start_n: number; severity?: string; instant?: boolean }
interface Rec { kind: string; start: string; end: string; video: boolean; url?: string; name: string; entry: number }
interface Item { n: number; event?: { kind: string; severity: string; rule: string } }
interface Timeline { spans: Span[]; recordings: Rec[]; records: Item[] }

/** A logged-in staff member talking JSON to the server. */
async function staff(sys: System, user: string, password: string) {
  const resp = await fetch(`${sys.url}/api/login`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: user, password }),
  });
  assert.equal(resp.status, 200, `login as ${user}: ${resp.status}`);
  const cookie = (resp.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> => {
    const r = await fetch(`${sys.url}${path}`, {
      method,
      headers: { Cookie: cookie, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: r.status, data: (await r.json().catch(() => ({}))) as T };
  };
}

async function signIn(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("auditor replays a sitting in sync, verifies it and decides the candidate's appeal", { timeout: 300000 }, async () => {
  const sys = await startServer();
  const creds = JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as Creds;
  assert.ok(creds.auditor_user, "the demo has no auditor account (server/demo)");
  const footage = join(mkdtempSync(join(tmpdir(), "kuzet-footage-")), "seat.y4m");
  const gen = spawnSync(join(bin, "kuzet-footage"), ["-o", footage, "-size", "320x240", "-fps", "10", "-scene", "face:8s,empty:9s,face:40s"], { encoding: "utf8" });
  assert.equal(gen.status, 0, `kuzet-footage failed:\n${gen.stdout}${gen.stderr}`);
  const agent = startAgent(sys, creds.sitting_token, ["--camera", `file:${footage}`, "--mic", "test", "--no-checks"]);
  const browser = await launch();
  let agentStopped = false;
  try {
    const proctor = await staff(sys, creds.proctor_user, creds.proctor_password);
    const auditorApi = await staff(sys, creds.auditor_user, creds.auditor_password);
    const tlPath = `/api/replay/sittings/${creds.sitting_id}`;
    // The seat is empty from 8 s to 17 s: rule 10.3 opens and closes.
    let tl: Timeline = { spans: [], recordings: [], records: [] };
    await waitFor("a closed rule 10.3 span", async () => {
      tl = (await auditorApi<Timeline>("GET", tlPath)).data;
      return tl.spans.some((s) => s.rule === "10.3" && !s.open && !s.instant);
    }, 90000);
    await new Promise((r) => setTimeout(r, 4000)); // a little video after it
    assert.equal(await agent.stop(), 0, `agent exit; output:\n${agent.out()}`);
    agentStopped = true;
    await waitFor("the recording segments in the log", async () => {
      tl = (await auditorApi<Timeline>("GET", tlPath)).data;
      return tl.recordings.some((r) => r.kind === "camera" && r.video);
    }, 30000);

    // The proctor ends the sitting, reviews every flag and publishes.
    let r = await proctor("POST", `/api/sittings/${creds.sitting_id}/end`, { reason: "stage over" });
    assert.equal(r.status, 201, `end: ${JSON.stringify(r.data)}`);
    tl = (await auditorApi<Timeline>("GET", tlPath)).data;
    const noFace = tl.spans.find((s) => s.rule === "10.3" && !s.open && !s.instant);
    assert.ok(noFace, "no rule 10.3 span");
    for (const it of tl.records) {
      const e = it.event;
      if (!e || e.kind === "end" || e.severity === "info") continue;
      const confirm = it.n === noFace.start_n;
      r = await proctor("POST", `/api/sittings/${creds.sitting_id}/flags/${it.n}/review`, { decision: confirm ? "confirm" : "dismiss", note: confirm ? "empty seat on camera" : "not relevant" });
      assert.equal(r.status, 201, `review #${it.n}: ${JSON.stringify(r.data)}`);
    }
    r = await proctor("POST", `/api/sittings/${creds.sitting_id}/verdict`, { outcome: "violation", rules: ["10.3"], evidence: [noFace.start_n], note: "left the seat for 9 s" });
    assert.equal(r.status, 201, `verdict: ${JSON.stringify(r.data)}`);

    // The candidate appeals from the cabinet.
    const cab = await browser.newPage();
    cab.on("pageerror", (e) => console.error("cabinet page error:", e.message));
    await cab.goto(`${sys.url}/cabinet.html#lang=en&t=${encodeURIComponent(creds.sitting_token)}`);
    await cab.locator("#pin").waitFor({ timeout: 15000 });
    assert.match(await cab.locator("#pin").innerText(), new RegExp(creds.pin));
    assert.equal(await cab.locator("#outcome").getAttribute("data-outcome"), "violation");
    assert.match(await cab.locator("#verdict").innerText(), /Rule 10\.3/);
    await cab.locator("#appeal-input").fill("I stood up to close the window; nobody else was in the room.");
    await cab.getByRole("button", { name: "File the appeal" }).click();
    await cab.locator("#decision-pending").waitFor({ timeout: 10000 });
    await shot(cab, "replay-cabinet-appealed");

    // The auditor: find by PIN, open, verified badge.
    const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    page.on("pageerror", (e) => console.error("replay page error:", e.message));
    await signIn(page, `${sys.url}/replay.html?lang=en`, creds.auditor_user, creds.auditor_password);
    await page.getByLabel("PIN (whole or its start)").fill(creds.pin.slice(0, 5));
    await page.getByRole("button", { name: "Find" }).click();
    const row = page.locator(`tr[data-pin="${creds.pin}"]`);
    await row.waitFor({ timeout: 10000 });
    assert.match(await row.innerText(), /awaiting decision/);
    await row.locator("a.open-sitting").click();
    const badge = page.locator("#verify-badge.badge-ok");
    await badge.waitFor({ timeout: 30000 });
    assert.match(await badge.innerText(), /Verified against checkpoint \d+/);
    // The same page in Kazakh.
    await page.getByRole("button", { name: "Қазақша" }).click();
    await page.locator("#verify-badge.badge-ok", { hasText: "бақылау нүктесі бойынша расталды" }).waitFor({ timeout: 5000 });
    await shot(page, "replay-kk");
    await page.getByRole("button", { name: "English" }).click();

    // The video plays: currentTime advances and frames are decoded.
    const cam = page.locator("#camera-video");
    await waitFor("camera metadata", () => cam.evaluate((v: HTMLVideoElement) => v.readyState >= 1), 15000);
    await page.locator("#rate").selectOption("2");
    await page.locator("#play").click();
    await waitFor("the camera playing", () =>
      cam.evaluate((v: HTMLVideoElement) => !v.paused && v.currentTime > 0.5 && v.videoWidth === 320 && v.playbackRate === 2), 20000);
    const frames = await cam.evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames);
    assert.ok(frames > 5, `only ${frames} frames decoded`);
    await page.locator("#play").click(); // pause
    await shot(page, "replay-playing");

    // Clicking the 10.3 span moves currentTime to the event's time.
    const seg = tl.recordings.find((s) => s.kind === "camera" && s.video && Date.parse(s.start) <= Date.parse(noFace.start) && Date.parse(noFace.start) < Date.parse(s.end));
    assert.ok(seg, `no camera segment covers the 10.3 span at ${noFace.start}: ${JSON.stringify(tl.recordings)}`);
    const want = (Date.parse(noFace.start) - Date.parse(seg.start)) / 1000;
    const span = page.locator(`.lane[data-rule="10.3"] button.span[data-n="${noFace.start_n}"]`);
    await span.click();
    await waitFor(`camera currentTime ≈ ${want.toFixed(2)} s`, () =>
      cam.evaluate((v: HTMLVideoElement, w: number) => Math.abs(v.currentTime - w) < 0.25 && !v.seeking, want), 10000);
    const screen = page.locator("#screen-video");
    const screenSeg = tl.recordings.find((s) => s.kind === "screen" && Date.parse(s.start) <= Date.parse(noFace.start) && Date.parse(noFace.start) < Date.parse(s.end));
    if (screenSeg) {
      const wantScreen = (Date.parse(noFace.start) - Date.parse(screenSeg.start)) / 1000;
      await waitFor("screen in sync", () => screen.evaluate((v: HTMLVideoElement, w: number) => Math.abs(v.currentTime - w) < 0.25, wantScreen), 10000);
    }
    assert.equal(await page.locator(`.records li.current[data-n="${noFace.start_n}"]`).count(), 1, "the span's record is not highlighted");
    await shot(page, "replay-seeked-to-10.3");

    // The printable report names the checkpoint and the appeal.
    await page.emulateMedia({ media: "print" });
    const report = page.locator("#report");
    assert.ok(await report.isVisible(), "the report is not shown for print");
    assert.match(await report.innerText(), /Verified against checkpoint \d+/);
    assert.match(await report.innerText(), /I stood up to close the window/);
    assert.ok(!(await page.locator(".replay-body").isVisible()), "the replay controls are printed");
    await shot(page, "replay-report-print");
    await page.emulateMedia({ media: "screen" });

    // The auditor overturns the verdict with reasons.
    await page.getByLabel("Overturn the verdict").check();
    await page.getByLabel("Reasons (the candidate reads them)").fill("The recording shows the candidate alone, closing a window, back within 9 s.");
    await page.getByRole("button", { name: "Record the decision" }).click();
    await page.locator("#decision.decision-overturned").waitFor({ timeout: 10000 });
    assert.equal(await page.locator("#effective").innerText(), "No violation");
    await page.locator("#verify-badge.badge-ok").waitFor({ timeout: 30000 });
    await shot(page, "replay-decided");

    // The candidate's cabinet shows the decision.
    await cab.reload();
    await cab.locator("#decision").waitFor({ timeout: 10000 });
    assert.equal(await cab.locator("#decision").getAttribute("data-outcome"), "overturned");
    assert.match(await cab.locator("#decision-reasons").innerText(), /closing a window/);
    assert.match(await cab.locator("#effective").innerText(), /No violation found/);
    await shot(cab, "replay-cabinet-decided");

    // One changed byte in the camera recording: the badge names its entry.
    const file = join(sys.data, "recordings", creds.sitting_id, seg.name);
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    writeFileSync(file, bytes);
    await page.getByRole("button", { name: "Verify again" }).click();
    const failed = page.locator("#verify-badge.badge-failed");
    await failed.waitFor({ timeout: 30000 });
    assert.match(await failed.innerText(), new RegExp(`Verification failed at entry ${seg.entry}\\b`));
    assert.match(await failed.innerText(), new RegExp(`file recordings/${creds.sitting_id}/${seg.name.replace(/\./g, "\\.")} of entry ${seg.entry} was changed`));
    await shot(page, "replay-tampered");
  } finally {
    await browser.close();
    if (!agentStopped) await agent.stop();
    await sys.stop();
  }
});
