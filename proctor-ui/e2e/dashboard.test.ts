// The proctor's dashboard (issue 7) in a real Chromium against a real
// kuzet-server with real kuzet-agents on synthetic cameras: what a proctor
// sees, every action reaching the agent and the candidate's page, the
// verdict's rules, and a dropped connection that loses and repeats nothing.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  Staff,
  createSittings,
  framesBySitting,
  launch,
  lightAgent,
  login,
  loginAs,
  shot,
  startAgent,
  shots,
  startServer,
  waitFor,
  type Proc,
} from "./harness.js";
import { join } from "node:path";
import { startPublishers } from "./publishers.js";

interface DashboardHook {
  tiles: Map<string, { summary: { risk: number; records: number; pin: string }; watch: { pc: RTCPeerConnection | null; rebuilds: number; iceRestarts: number; restartIce(): void } | null }>;
  order: string[];
  recordsOf(id: string): Array<{ n: number; received: string; event?: { rule: string; kind: string; severity: string } }>;
  dropChannel(holdMs?: number): void;
}

declare global {
  interface Window {
    kuzet?: { dashboard: DashboardHook };
  }
}

function candidateLink(agent: Proc): string {
  const link = /Candidate page: (\S+)/.exec(agent.out())?.[1];
  assert.ok(link, `the agent printed no candidate page link:\n${agent.out()}`);
  return link;
}

async function stopAll(agents: Proc[]): Promise<void> {
  await Promise.all(agents.map((a) => a.stop()));
}

test("a proctor sees exactly the sittings assigned to them, by PIN", { timeout: 120000 }, async () => {
  const sys = await startServer();
  const browser = await launch();
  try {
    const [mine, other] = await createSittings(sys, 2);
    assert.ok(mine && other);
    const hr = await Staff.login(sys, sys.demo.admin_user, sys.demo.admin_password);
    await hr.ok("PUT", `/api/sittings/${mine.id}/proctors`, { proctors: [sys.demo.proctor_user] });

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);
    await page.locator("article.tile").first().waitFor({ timeout: 20000 });
    await waitFor("two tiles", async () => (await page.locator("article.tile").count()) === 2, 10000);
    const pins = (await page.locator("article.tile").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset["pin"] ?? ""))).sort();
    assert.deepEqual(pins, [sys.demo.pin, mine.pin].sort());
    const text = await page.locator("body").innerText();
    assert.doesNotMatch(text, new RegExp(other.pin), "an unassigned sitting's PIN is on the page");
    assert.match(text, /Showing 2 of 2 sittings/);
    await shot(page, "dashboard-assigned-only");

    // The administrator sees every sitting.
    const admin = await browser.newPage();
    await loginAs(admin, sys, sys.demo.admin_user, sys.demo.admin_password);
    // Every sitting the server holds: the demo's competitions have
    // sittings of their own besides the two made here.
    const all = await hr.ok<{ sittings: { id: string }[]; more?: boolean }>("GET", "/api/replay/sittings");
    assert.ok(!all.more && all.sittings.length >= 3, `the server lists ${all.sittings.length} sittings`);
    await waitFor(`${all.sittings.length} tiles for the administrator`, async () => (await admin.locator("article.tile").count()) === all.sittings.length, 20000);
    for (const pin of [sys.demo.pin, mine.pin, other.pin]) {
      assert.equal(await admin.locator(`article.tile[data-pin="${pin}"]`).count(), 1, `the administrator has no tile for PIN ${pin}`);
    }

    // Assigned now: the sitting appears on the proctor's open dashboard.
    await hr.ok("PUT", `/api/sittings/${other.id}/proctors`, { proctors: [sys.demo.proctor_user] });
    await page.locator(`article.tile[data-pin="${other.pin}"]`).waitFor({ timeout: 10000 });
  } finally {
    await browser.close();
    await sys.stop();
  }
});

test("each action reaches the agent and the candidate's page and is logged; the verdict waits for every flag", { timeout: 300000 }, async () => {
  const sys = await startServer();
  const agent = startAgent(sys, sys.demo.sitting_token);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);
    const tile = page.locator(`article.tile[data-pin="${sys.demo.pin}"]`);
    await tile.locator(".badge.state-live").waitFor({ timeout: 30000 });
    await waitFor("the candidate page link", () => /Candidate page: \S+/.test(agent.out()), 20000);
    const cand = await browser.newPage();
    await cand.goto(candidateLink(agent));
    await cand.locator("#pin").waitFor({ timeout: 15000 });

    await tile.click();
    const focus = page.locator(".focus");
    await focus.waitFor();
    const status = focus.locator(".action-status");
    const timeline = focus.locator("ol.timeline");
    const logged = async (kind: string): Promise<void> => {
      const item = timeline.locator(`li.action[data-action="${kind}"]`).first();
      await item.waitFor({ timeout: 10000 });
      assert.equal(await item.locator(".actor").innerText(), sys.demo.proctor_user, `the ${kind} action is not logged with who did it`);
      assert.ok(await item.locator("time").getAttribute("datetime"), `the ${kind} action is not logged with when`);
    };

    // Rule 10.1 and p.74-1: the candidate shows the ID document, but an ID
    // card shows the name and IIN, so the proctor sees that HR checks it,
    // never the photo; HR's confirmation then shows in its place.
    const idCheck = focus.locator('.panel-identity .id-check[data-state="pending"]');
    await idCheck.waitFor({ timeout: 30000 });
    assert.match(await idCheck.innerText(), /HR checks it/);
    assert.equal(await focus.locator(".panel-identity figure.id-photo").count(), 0, "the proctor's focus shows an ID photo figure");
    const hrAPI = await Staff.login(sys, sys.demo.admin_user, sys.demo.admin_password);
    const checks = await hrAPI.ok<{ sitting: string; pending: boolean; id_photo: { sha256: string } }[]>("GET", "/api/identity?pending=true");
    const check = checks.find((c) => c.sitting === sys.demo.sitting_id);
    assert.ok(check, "HR's list of identity checks lacks the demo sitting");
    const proctorGet = await page.evaluate(async (u: string) => (await fetch(u)).status, `/api/sittings/${sys.demo.sitting_id}/evidence/${check.id_photo.sha256}`);
    assert.equal(proctorGet, 403, "the proctor could fetch the ID photo");
    // HR sees the ID photo beside the face and confirms it on its screen.
    const hrPage = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await hrPage.goto(`${sys.url}/hr.html?lang=en`);
    await hrPage.getByLabel("Username").fill(sys.demo.admin_user);
    await hrPage.getByLabel("Password").fill(sys.demo.admin_password);
    await hrPage.getByRole("button", { name: "Sign in" }).click();
    const item = hrPage.locator(`#identity li[data-sitting="${sys.demo.sitting_id}"]`);
    await item.waitFor({ timeout: 15000 });
    const shown = item.locator("figure.id-photo img");
    await waitFor("HR's ID photo to load", () => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 10000);
    await item.screenshot({ path: join(shots, "hr-identity-check.png") });
    await item.getByRole("button", { name: "Confirm" }).click();
    await hrPage.locator(`#identity li[data-sitting="${sys.demo.sitting_id}"][data-state="identity_confirmed"]`).waitFor({ timeout: 10000 });
    await hrPage.close();
    await focus.locator('.panel-identity .id-check[data-state="confirmed"]').waitFor({ timeout: 10000 });
    await focus.locator(".panel-identity").scrollIntoViewIfNeeded();
    await focus.locator(".panel-identity").screenshot({ path: join(shots, "dashboard-focus-identity.png") });
    await focus.locator(".panel-precheck").screenshot({ path: join(shots, "dashboard-focus-precheck.png") });
    await focus.locator(".panel-actions").scrollIntoViewIfNeeded();

    // Room scan (rule 10.7): the agent starts it and says so; the page asks.
    await focus.getByRole("button", { name: "Request room scan" }).click();
    await waitFor("the room scan request to be done", async () => /The agent received it/.test(await status.innerText()), 10000);
    await waitFor("the agent to start the room scan", () => agent.out().includes("all the way around the room (360°) (rule 10.7)"), 10000);
    await timeline.locator('li.event[data-rule="10.7"]').first().waitFor({ timeout: 10000 });
    await cand.locator("li.notice-room_scan").waitFor({ timeout: 5000 });
    assert.match(await cand.locator("li.notice-room_scan").innerText(), /Slowly turn the camera all the way around the room/);
    await logged("room_scan");

    // A formal warning citing rule 10.4, in the candidate's language.
    await focus.getByLabel("Rule of the warning").selectOption("10.4");
    await focus.getByLabel("Your words with the warning (optional)").fill("Please look at your screen.");
    await focus.getByRole("button", { name: "Send warning" }).click();
    const warning = cand.locator("li.notice-warning");
    await warning.waitFor({ timeout: 5000 });
    assert.match(await warning.innerText(), /Warning \(rule 10\.4\)/);
    assert.match(await warning.innerText(), /Turn back to face the screen\./);
    assert.match(await warning.innerText(), /Please look at your screen\./);
    await waitFor("the agent to show the warning", () => agent.out().includes("Warning from the proctor (rule 10.4): Please look at your screen."), 10000);
    await logged("warning");

    // A message.
    await focus.getByLabel("Message to the candidate").fill("Please sit closer to the camera.");
    await focus.getByRole("button", { name: "Send message" }).click();
    await cand.locator("li.notice-message", { hasText: "Please sit closer to the camera." }).waitFor({ timeout: 5000 });
    await waitFor("the agent to show the message", () => agent.out().includes("Message from the proctor: Please sit closer to the camera."), 10000);
    await logged("message");

    // Pause and resume.
    await focus.getByRole("button", { name: "Pause" }).click();
    await cand.locator("#paused").waitFor({ timeout: 5000 });
    await tile.locator(".paused-mark").waitFor({ timeout: 5000 });
    await logged("pause");
    await shot(cand, "dashboard-candidate-paused");
    await focus.getByRole("button", { name: "Resume" }).click();
    await cand.locator("#paused").waitFor({ state: "detached", timeout: 5000 });
    await logged("resume");
    await shot(page, "dashboard-focus-actions");


    // Publishing is refused before the end, and while a flag is open.
    const api = await Staff.login(sys, sys.demo.proctor_user, sys.demo.proctor_password);
    const early = await api.call<{ error: { code: string } }>("POST", `/api/sittings/${sys.demo.sitting_id}/verdict`, { outcome: "clean" });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, "not_ended");

    await focus.getByLabel("Reason for ending").fill("The essay time is over.");
    await focus.getByRole("button", { name: "End sitting" }).click();
    await cand.locator("li.notice-end", { hasText: "The essay time is over." }).waitFor({ timeout: 10000 });
    await waitFor("the agent to stop for the end of the stage", () => agent.out().includes("The stage has ended."), 15000);
    await logged("end");
    await tile.locator(".badge.state-ended").waitFor({ timeout: 5000 });

    await focus.locator("#outcome-clean").check();
    await focus.getByRole("button", { name: "Publish check results" }).click();
    await waitFor("the refusal", async () => /Not every flag is reviewed/.test(await status.innerText()), 10000);
    assert.match(await focus.locator(".verdict-blocked").innerText(), /Review these flags before publishing: #\d+/);
    const refused = await api.call<{ error: { code: string } }>("POST", `/api/sittings/${sys.demo.sitting_id}/verdict`, { outcome: "clean" });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, "flags_open");
    await shot(page, "dashboard-verdict-refused");

    // Review every flag: confirm the first, dismiss the rest, each with a note.
    const review = focus.locator(".panel-review");
    let confirmed = "";
    for (let i = 0; i < 200; i++) {
      const target = review.locator(".review-target");
      if ((await target.count()) === 0) break;
      const n = (await target.getAttribute("data-flag")) ?? "";
      await review.getByLabel("Why (required)").fill(i === 0 ? "Seen on the video: nobody in the seat." : "Checked on the video: nothing wrong.");
      await review.getByRole("button", { name: i === 0 ? "Confirm breach" : "Dismiss" }).click();
      if (i === 0) confirmed = n;
      await waitFor(`flag #${n} to be reviewed`, async () => (await review.locator(`.review-target[data-flag="${n}"]`).count()) === 0, 10000);
    }
    assert.ok(confirmed, "the sitting had no flag to review");
    assert.match(await review.innerText(), /Open flags: 0 of \d+/);
    await timeline.locator(`.flag[data-flag="${confirmed}"][data-review="confirmed"]`).waitFor({ timeout: 5000 });

    // A clean verdict over a confirmed breach is refused; the violation,
    // with its rule and evidence filled in from the confirmed flag, goes.
    await focus.locator("#outcome-violation").check();
    await focus.getByRole("button", { name: "Publish check results" }).click();
    const published = focus.locator('.verdict-published[data-outcome="violation"]');
    await published.waitFor({ timeout: 10000 });
    assert.match(await published.innerText(), new RegExp(`#${confirmed}`));
    await tile.locator(".verdict-mark.verdict-violation").waitFor({ timeout: 5000 });
    const v = await api.ok<{ published: boolean; verdict: { outcome: string; evidence: number[]; actor: string } }>("GET", `/api/sittings/${sys.demo.sitting_id}/verdict`);
    assert.equal(v.published, true);
    assert.equal(v.verdict.outcome, "violation");
    assert.deepEqual(v.verdict.evidence, [Number(confirmed)]);
    assert.equal(v.verdict.actor, sys.demo.proctor_user);
    const again = await api.call<{ error: { code: string } }>("POST", `/api/sittings/${sys.demo.sitting_id}/verdict`, { outcome: "clean" });
    assert.equal(again.body.error.code, "verdict_published");
    await logged("verdict");
    await shot(page, "dashboard-verdict-published");
    await shot(cand, "dashboard-candidate-ended");

    // The agent left the candidate the link to their cabinet; it opens on
    // the published violation, by PIN only.
    const link = /(https?:\/\/\S+\/cabinet\.html#\S+)/.exec(agent.out())?.[1];
    assert.ok(link, `the agent printed no cabinet link:\n${agent.out()}`);
    const cab = await browser.newPage();
    cab.on("pageerror", (e) => console.error("cabinet page error:", e.message));
    await cab.goto(link);
    await cab.locator("#pin").waitFor({ timeout: 15000 });
    assert.match(await cab.locator("#pin").innerText(), new RegExp(sys.demo.pin));
    assert.equal(await cab.locator("#outcome").getAttribute("data-outcome"), "violation");
    await shot(cab, "dashboard-cabinet-from-agent-link");
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});

/** The record numbers the page holds for a sitting. */
async function recordNumbers(page: Page, id: string): Promise<number[]> {
  return page.evaluate((sid) => window.kuzet?.dashboard.recordsOf(sid).map((r) => r.n) ?? [], id);
}

test("after a forced WebSocket drop the feed resumes with no event lost or shown twice, and the video goes on", { timeout: 180000 }, async () => {
  const sys = await startServer();
  const agent = startAgent(sys, sys.demo.sitting_token, lightAgent);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);
    const id = sys.demo.sitting_id;
    const tile = page.locator(`article.tile[data-sitting="${id}"]`);
    await tile.locator(".badge.state-live").waitFor({ timeout: 30000 });
    await waitFor("video frames", async () => ((await framesBySitting(page))[id] ?? 0) > 10, 30000);
    await page.evaluate((sid) => {
      (window as unknown as { keptPC: unknown }).keptPC = window.kuzet?.dashboard.tiles.get(sid)?.watch?.pc;
    }, id);
    const before = await recordNumbers(page, id);

    // The channel is gone for 5 s; meanwhile the camera stops and comes back.
    await page.evaluate(() => window.kuzet?.dashboard.dropChannel(5000));
    agent.child.kill("SIGUSR1");
    await new Promise((r) => setTimeout(r, 3500));
    agent.child.kill("SIGUSR2");
    await page.locator(".conn-open").waitFor({ timeout: 20000 });
    await tile.locator('li.rule-badge[data-rule="10.6"][data-state="violation"]').waitFor({ timeout: 15000 });
    await waitFor("the 10.6 end after the drop", async () =>
      page.evaluate((sid) => (window.kuzet?.dashboard.recordsOf(sid) ?? []).some((r) => r.event?.rule === "10.6" && r.event.kind === "end"), id), 15000);
    // Quiet for a moment, then compare with what the server holds.
    await new Promise((r) => setTimeout(r, 1000));
    const after = await recordNumbers(page, id);
    const server = await page.evaluate((sid) => window.kuzet?.dashboard.tiles.get(sid)?.summary.records ?? 0, id);
    assert.ok(after.length > before.length, "no new records after the drop");
    assert.deepEqual(after, Array.from({ length: after.length }, (_, i) => i + 1), "records lost or repeated");
    assert.ok(after.length >= server && server > 0, `the page holds ${after.length} records, the server ${server}`);
    // The timeline shows each record once, and every record the page holds.
    // The agent may still be reporting, so compare the two at one moment.
    await tile.click();
    const shown = () => page.locator(".focus ol.timeline > li").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset["n"] ?? ""));
    let items: string[] = [];
    let held: number[] = [];
    await waitFor("the timeline to show the page's records", async () => {
      items = await shown();
      held = await recordNumbers(page, id);
      return items.length === held.length;
    }, 10000).catch(() => undefined);
    assert.equal(new Set(items).size, items.length, "the timeline shows a record twice");
    assert.ok(held.length >= after.length);
    assert.equal(items.length, held.length);
    await page.keyboard.press("Escape");

    // The video went on over the same connection: the server kept the peer.
    const kept = await page.evaluate((sid) => {
      const w = window.kuzet?.dashboard.tiles.get(sid)?.watch;
      return { same: w?.pc === (window as unknown as { keptPC: unknown }).keptPC, rebuilds: w?.rebuilds ?? -1 };
    }, id);
    assert.deepEqual(kept, { same: true, rebuilds: 0 });
    const f0 = (await framesBySitting(page))[id] ?? 0;
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(((await framesBySitting(page))[id] ?? 0) > f0 + 5, "the video stopped after the drop");

    // ICE restart in place: new ICE credentials, same connection, frames go on.
    const ufrag = (): Promise<string> =>
      page.evaluate((sid) => /a=ice-ufrag:(\S+)/.exec(window.kuzet?.dashboard.tiles.get(sid)?.watch?.pc?.remoteDescription?.sdp ?? "")?.[1] ?? "", id);
    const u0 = await ufrag();
    await page.evaluate((sid) => window.kuzet?.dashboard.tiles.get(sid)?.watch?.restartIce(), id);
    await waitFor("new remote ICE credentials", async () => (await ufrag()) !== u0 && (await ufrag()) !== "", 10000);
    const f1 = (await framesBySitting(page))[id] ?? 0;
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(((await framesBySitting(page))[id] ?? 0) > f1 + 5, "no frames after the ICE restart");
    const restarted = await page.evaluate((sid) => {
      const w = window.kuzet?.dashboard.tiles.get(sid)?.watch;
      return { same: w?.pc === (window as unknown as { keptPC: unknown }).keptPC, rebuilds: w?.rebuilds, ice: w?.pc?.iceConnectionState };
    }, id);
    assert.equal(restarted.same, true);
    assert.equal(restarted.rebuilds, 0);
    assert.match(String(restarted.ice), /connected|completed/);
    await shot(page, "dashboard-after-drop");
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});

test("a violation raised at an agent shows on its tile within 1 s and raises its rank", { timeout: 240000 }, async () => {
  const sys = await startServer();
  const extra = await createSittings(sys, 3, [sys.demo.proctor_user]);
  const tokens = [{ id: sys.demo.sitting_id, token: sys.demo.sitting_token }, ...extra.map((s) => ({ id: s.id, token: s.token }))];
  const agents = new Map<string, Proc>(tokens.map((s) => [s.id, startAgent(sys, s.token, lightAgent)]));
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);
    await waitFor("four live tiles", async () => (await page.locator("article.tile .badge.state-live").count()) === 4, 60000);
    // Let the start-up events (checks turned off, the ID photo) settle.
    await new Promise((r) => setTimeout(r, 15000));
    const order = async (): Promise<string[]> => page.evaluate(() => window.kuzet?.dashboard.order ?? []);
    const before = await order();
    const last = before[before.length - 1] ?? "";
    const agent = agents.get(last);
    assert.ok(agent, "no agent for the last tile");
    const riskBefore = await page.evaluate((sid) => window.kuzet?.dashboard.tiles.get(sid)?.summary.risk ?? 0, last);

    // Watch the tile's 10.6 badge from inside the page, so the time it turns
    // red is taken where the proctor sees it.
    await page.evaluate((sid) => {
      const badge = document.querySelector(`article.tile[data-sitting="${sid}"] li.rule-badge[data-rule="10.6"]`);
      const w = window as unknown as { shownAt?: number };
      const check = (): void => {
        const el = document.querySelector(`article.tile[data-sitting="${sid}"] li.rule-badge[data-rule="10.6"]`);
        if (el?.getAttribute("data-state") === "violation" && w.shownAt === undefined) w.shownAt = Date.now();
      };
      new MutationObserver(check).observe(badge?.parentElement ?? document.body, { subtree: true, attributes: true, childList: true });
    }, last);
    agent.child.kill("SIGUSR1");
    await waitFor("the 10.6 badge", async () => page.evaluate(() => (window as unknown as { shownAt?: number }).shownAt !== undefined), 15000);
    const { shownAt, received } = await page.evaluate((sid) => {
      const rec = window.kuzet?.dashboard.recordsOf(sid).find((r) => r.event?.rule === "10.6" && r.event.kind === "start");
      return { shownAt: (window as unknown as { shownAt: number }).shownAt, received: rec ? Date.parse(rec.received) : NaN };
    }, last);
    const latency = shownAt - received;
    console.log(`violation stored at the server → badge on the tile: ${latency} ms`);
    assert.ok(latency >= 0 && latency < 1000, `the badge turned red ${latency} ms after the server stored the event`);

    const after = await order();
    const riskAfter = await page.evaluate((sid) => window.kuzet?.dashboard.tiles.get(sid)?.summary.risk ?? 0, last);
    assert.ok(riskAfter > riskBefore, `risk went from ${riskBefore} to ${riskAfter}`);
    assert.ok(after.indexOf(last) < before.indexOf(last), `rank went from ${before.indexOf(last)} to ${after.indexOf(last)}`);
    // Announced, without moving the keyboard focus.
    assert.match(await page.locator("#announcer").innerText(), new RegExp(`new violation — .*10\\.6`));
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "BODY");
    await shot(page, "dashboard-violation-ranked");
    agent.child.kill("SIGUSR2");
  } finally {
    await browser.close();
    await stopAll([...agents.values()]);
    await sys.stop();
  }
});

test("keyboard reaches every tile and action; labels, contrast and kk/ru/en", { timeout: 120000 }, async () => {
  const sys = await startServer();
  const browser = await launch();
  try {
    await createSittings(sys, 2, [sys.demo.proctor_user]);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);
    await waitFor("three tiles", async () => (await page.locator("article.tile").count()) === 3, 20000);
    const order = await page.evaluate(() => window.kuzet?.dashboard.order ?? []);
    const focused = (): Promise<string> => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset["sitting"] ?? document.activeElement?.className ?? "");

    // Tab from the toolbar lands on the first tile in display order.
    await page.locator("#sort").focus();
    for (let i = 0; i < 10 && (await focused()) !== order[0]; i++) await page.keyboard.press("Tab");
    assert.equal(await focused(), order[0], "Tab does not reach the first tile");
    await page.keyboard.press("ArrowRight");
    assert.equal(await focused(), order[1]);
    await page.keyboard.press("End");
    assert.equal(await focused(), order[2]);
    await page.keyboard.press("Home");
    assert.equal(await focused(), order[0]);

    // Enter opens the focus view with the keyboard inside it; its actions
    // are reachable by Tab; Escape closes it and gives the tile back focus.
    await page.keyboard.press("Enter");
    await page.locator(".focus[role=dialog]").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.closest(".focus") !== null), true);
    const names: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      names.push(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText || document.activeElement?.id || ""));
    }
    assert.ok(names.includes("Request room scan") && names.includes("Pause"), `Tab order in the focus view: ${names.join(" | ")}`);
    await page.keyboard.press("Escape");
    await page.locator(".focus").waitFor({ state: "detached" });
    assert.equal(await focused(), order[0]);

    // Labels: the grid is a feed of articles named by PIN; every badge says
    // its rule, title and state in words.
    await page.getByRole("feed").waitFor();
    const labels = await page.locator("li.rule-badge").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
    assert.equal(labels.length, 33);
    assert.ok(labels.every((l) => /^Rule 10\.\d+ \(.+\): (violation|suspected|could not check|clear|no data)/.test(l)), labels.join("\n"));
    assert.match((await page.getByRole("article").first().getAttribute("aria-labelledby")) ?? "", /^pin-/);

    // Contrast of text on the badges, risk chips and link marks (WCAG AA:
    // 4.5:1), computed from the styles the browser applies.
    const worst = await page.evaluate(() => {
      const lum = (c: string): number => {
        const [r, g, b] = (c.match(/[\d.]+/g) ?? ["0", "0", "0"]).slice(0, 3).map((x) => {
          const v = Number(x) / 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
      };
      const bg = (el: Element | null): string => {
        for (let e = el; e; e = e.parentElement) {
          const c = getComputedStyle(e).backgroundColor;
          if (c && !/^rgba\(.*,\s*0\)$/.test(c) && c !== "transparent") return c;
        }
        return "rgb(255, 255, 255)";
      };
      const probe = document.createElement("div");
      probe.className = "tile";
      probe.innerHTML = ["violation", "suspected", "unchecked", "clear", "no_data"].map((s) => `<span class="rule-badge rs-${s}">10</span>`).join("") +
        ["risk-none", "risk-low", "risk-mid", "risk-high"].map((r) => `<span class="risk ${r}">12</span>`).join("") +
        ["good", "fair", "poor", "lost"].map((q) => `<span class="link q-${q}">x</span>`).join("") +
        `<span class="open-flags">x</span><span class="paused-mark">x</span>`;
      document.body.append(probe);
      let min = 21;
      let which = "";
      for (const el of Array.from(probe.querySelectorAll("span"))) {
        const a = lum(getComputedStyle(el).color);
        const b = lum(bg(el));
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < min) [min, which] = [ratio, el.className];
      }
      probe.remove();
      return { min, which };
    });
    assert.ok(worst.min >= 4.5, `contrast ${worst.min.toFixed(2)}:1 on ${worst.which}`);

    // The language switcher: Kazakh and Russian for the same dashboard.
    await page.getByRole("button", { name: "Қазақша" }).click();
    await page.getByText("Реттеу", { exact: true }).waitFor();
    assert.match((await page.locator("li.rule-badge").first().getAttribute("aria-label")) ?? "", /^10\.1 ереже/);
    await shot(page, "dashboard-kk");
    await page.getByRole("button", { name: "Русский" }).click();
    await page.getByText("Порядок", { exact: true }).waitFor();
    assert.match((await page.locator("li.rule-badge").first().getAttribute("aria-label")) ?? "", /^Правило 10\.1/);
  } finally {
    await browser.close();
    await sys.stop();
  }
});

test("a sitting whose agent sends no thumbnail layer shows its full camera in the grid", { timeout: 120000 }, async () => {
  const sys = await startServer();
  const [s] = await createSittings(sys, 1, [sys.demo.proctor_user]);
  assert.ok(s);
  const pubs = await startPublishers(sys, [s.token], 7, false);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await login(page, sys);
    const tile = page.locator(`article.tile[data-sitting="${s.id}"]`);
    await tile.locator(".badge.state-live").waitFor({ timeout: 30000 });
    await waitFor("the tile to fall back to the full camera and decode it", async () => {
      const layer = await page.evaluate((id) => (window.kuzet?.dashboard.tiles.get(id)?.watch as unknown as { opts?: { layer: string } } | null)?.opts?.layer, s.id);
      return layer === "full" && ((await framesBySitting(page))[s.id] ?? 0) > 5;
    }, 40000);
  } finally {
    await browser.close();
    await pubs.stop();
    await sys.stop();
  }
});

test("the video comes back by itself, without a reload, after the server froze for 15 s", { timeout: 180000 }, async () => {
  // The agent is allowed a long silence, so it stays connected through the
  // freeze and the tile keeps its watch: the browser must mend the media
  // connection itself (ICE restart, or a new connection if the server gave
  // its peer up).
  const sys = await startServer(["-agent-lost", "60s"]);
  const agent = startAgent(sys, sys.demo.sitting_token, lightAgent);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await login(page, sys);
    const id = sys.demo.sitting_id;
    await page.locator(`article.tile[data-sitting="${id}"] .badge.state-live`).waitFor({ timeout: 30000 });
    await waitFor("video frames", async () => ((await framesBySitting(page))[id] ?? 0) > 10, 30000);
    await page.evaluate((sid) => {
      const w = window as unknown as { sameDocument: boolean; frozenWatch: unknown };
      w.sameDocument = true;
      w.frozenWatch = window.kuzet?.dashboard.tiles.get(sid)?.watch;
    }, id);

    // Every packet and message stops: ICE goes disconnected, the channel
    // stalls; then the server runs again.
    sys.server.child.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 15000));
    sys.server.child.kill("SIGCONT");

    const frames = async (): Promise<number> => (await framesBySitting(page))[id] ?? 0;
    let f0 = await frames();
    await waitFor("frames again after the freeze", async () => {
      const f = await frames();
      if (f < f0) f0 = f; // a new connection counts from zero
      return f > f0 + 10;
    }, 60000);
    const after = await page.evaluate((sid) => {
      const w = window.kuzet?.dashboard.tiles.get(sid)?.watch;
      const g = window as unknown as { sameDocument?: boolean; frozenWatch?: unknown };
      return { sameDocument: g.sameDocument === true, sameWatch: w === g.frozenWatch, restarts: w?.iceRestarts ?? 0, rebuilds: w?.rebuilds ?? 0 };
    }, id);
    console.log(`after the freeze: ${after.restarts} ICE restarts, ${after.rebuilds} new connections`);
    assert.equal(after.sameDocument, true, "the page was reloaded");
    assert.equal(after.sameWatch, true, "the tile gave up its watch (the agent was dropped)");
    assert.ok(after.restarts + after.rebuilds > 0, "the video came back without the page doing anything: the freeze did not cut it");
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});
