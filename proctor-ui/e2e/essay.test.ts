// The essay stage end to end (issue 12, p.115) in a real Chromium against
// a real kuzet-server and a real agent: the demo candidate writes the
// essay in the cabinet while the agent streams; a reload and a minute with
// the network cut lose nothing typed (IndexedDB keeps what the server has
// not acknowledged); the essay is submitted. The proctor ends the sitting
// and publishes clean check results; only then the commission member sees
// the essay (by PIN), makes a signing key with WebCrypto, and signs a
// grade the server verifies. HR downloads the results as CSV.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launch, shot, Staff, seatedAgent, startServer, waitFor } from "./harness.js";

interface Creds {
  essay_cabinet: string;
  competition: string;
  sitting_id: string;
  pin: string;
  sitting_token: string;
  proctor_user: string;
  proctor_password: string;
  auditor_user: string;
  auditor_password: string;
  hr_user: string;
  hr_password: string;
  commission_user: string;
  commission_password: string;
}

interface EssayState {
  text: string;
  revision: number;
  submitted?: string;
}

interface Timeline {
  records: Array<{ n: number; event?: { kind: string; severity: string } }>;
}

async function serverEssay(url: string, token: string): Promise<EssayState> {
  const r = await fetch(`${url}/api/cabinet/essay`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  return (await r.json()) as EssayState;
}

const words = (n: number, w: string): string => Array.from({ length: n }, (_, i) => `${w}${i}`).join(" ");

async function status(page: Page, state: string, ms = 30000): Promise<void> {
  await page.locator(`#essay-status[data-state="${state}"]`).waitFor({ timeout: ms });
}

test("the essay is written under the agent, survives a reload and a network cut, and is graded with a WebCrypto signature", { timeout: 300000 }, async () => {
  const sys = await startServer(["-workflow-tick", "1s"]);
  const creds = JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as Creds;
  const token = creds.essay_cabinet.split("#inbox=")[1] ?? "";
  assert.ok(token, "the demo has no essay cabinet (server/demo)");
  const agent = seatedAgent(sys, creds.sitting_token);
  const browser = await launch();
  const errors: string[] = [];
  try {
    // ---- the candidate ----
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${sys.url}/cabinet.html?lang=en#inbox=${token}`);
    const area = page.locator("#essay-text");
    await area.waitFor({ timeout: 15000 });
    assert.match(await page.locator("#essay").innerText(), /at most 250 words/);
    // The agent joins within seconds; until then a save is refused (rule
    // 10) and kept in the browser; the page sends it again.
    const first = words(40, "мемлекет");
    await area.fill(first);
    await status(page, "saved", 60000);
    assert.match(await page.locator("#essay-count").innerText(), /^40 \/ 250 words$/);
    assert.equal((await serverEssay(sys.url, token)).text, first);
    assert.match(await page.locator("#essay-left").innerText(), /Time left \d+:\d\d/);
    await shot(page, "essay-saved");

    // A reload right after typing, before the page sent it: IndexedDB
    // kept it, the page sends it after the reload.
    const second = words(60, "қызмет");
    await area.fill(second);
    await page.reload();
    await area.waitFor({ timeout: 15000 });
    assert.equal(await area.inputValue(), second, "the text typed before the reload is back");
    await status(page, "saved");
    assert.equal((await serverEssay(sys.url, token)).text, second);

    // A minute with the network cut: the page says the text is kept on
    // this computer, and sends it when the network is back.
    await ctx.setOffline(true);
    const third = words(80, "сөз");
    await area.fill(third);
    await status(page, "kept");
    await shot(page, "essay-offline");
    await new Promise((r) => setTimeout(r, 60000));
    assert.equal((await serverEssay(sys.url, token)).text, second, "nothing reached the server while offline");
    await ctx.setOffline(false);
    await status(page, "saved");
    const held = await serverEssay(sys.url, token);
    assert.equal(held.text, third, "the text typed while offline arrived");

    await page.locator("#essay-submit").click();
    await page.locator("#essay-submitted").waitFor({ timeout: 10000 });
    assert.match(await page.locator("#essay-submitted").innerText(), /submitted at .* \(80 words\)/);
    await shot(page, "essay-submitted");

    // ---- the commission, before the check results ----
    const member = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    member.on("pageerror", (e) => errors.push(e.message));
    await member.goto(`${sys.url}/?lang=en`);
    await member.getByLabel("Username").fill(creds.commission_user);
    await member.getByLabel("Password").fill(creds.commission_password);
    await member.getByRole("button", { name: "Sign in" }).click();
    await member.waitForURL(/\/grading\.html\?lang=en$/, { timeout: 15000 });
    await member.getByRole("heading", { name: "Essays assigned to you" }).waitFor({ timeout: 15000 });
    assert.match(await member.locator("#essays").innerText(), /only once the check results are published and clean \(p\.115\)/);
    const memberApi = await Staff.login(sys, creds.commission_user, creds.commission_password);
    const early = await memberApi.call<{ error: { key: string; message: string } }>("GET", "/api/grading/essays");
    assert.deepEqual(early.body, [], "a held essay is listed to a grader");

    // ---- the proctor ends the sitting and publishes clean results ----
    assert.equal(await agent.stop(), 0, `agent exit:\n${agent.out()}`);
    const proctor = await Staff.login(sys, creds.proctor_user, creds.proctor_password);
    await proctor.ok("POST", `/api/sittings/${creds.sitting_id}/end`, { reason: "essay submitted" });
    const auditor = await Staff.login(sys, creds.auditor_user, creds.auditor_password);
    const tl = await auditor.ok<Timeline>("GET", `/api/replay/sittings/${creds.sitting_id}`);
    for (const it of tl.records) {
      const e = it.event;
      if (!e || e.kind === "end" || e.severity === "info") continue;
      await proctor.ok("POST", `/api/sittings/${creds.sitting_id}/flags/${it.n}/review`, { decision: "dismiss", note: "e2e: not a breach" });
    }
    await proctor.ok("POST", `/api/sittings/${creds.sitting_id}/verdict`, { outcome: "clean" });

    // ---- the commission grades with a signature ----
    await member.getByRole("button", { name: "Create a signing key" }).click();
    await member.locator("#key-ready").waitFor({ timeout: 10000 });
    const row = member.locator(`#essays li button[data-pin="${creds.pin}"]`);
    await waitFor("the released essay", async () => {
      await member.reload();
      await member.locator("#essays").waitFor();
      return (await row.count()) === 1;
    }, 30000);
    await row.click();
    const text = await member.locator("#grade-text").innerText();
    assert.equal(text, third);
    assert.match(await member.locator("#grade-title").innerText(), new RegExp(`PIN ${creds.pin}`));
    assert.match(await member.locator("#scale").innerText(), /5 — fully revealed/);
    assert.equal(await member.getByRole("button", { name: /decline|refuse/i }).count(), 0, "p.115: a member may not refuse to grade");
    await member.locator("#score-4").check();
    await shot(member, "grading-essay");
    await member.locator("#sign-grade").click();
    await member.locator("#grading-note").waitFor({ timeout: 10000 });
    assert.match(await member.locator("#grading-note").innerText(), /Grade 4 of the essay of PIN \d+ was signed and accepted/);
    await shot(member, "grading-signed");

    // The server kept the signed grade; a replay of it is refused.
    const hr = await Staff.login(sys, creds.hr_user, creds.hr_password);
    const essays = await hr.ok<Array<{ pin: string; grades: Array<{ score: number; signature: string; key: string; nonce: string; issued: string; format: string }>; graders: string[] }>>("GET", `/api/competitions/${creds.competition}/essays`);
    const mine = essays.find((e) => e.pin === creds.pin);
    assert.ok(mine && mine.grades.length === 1 && mine.grades[0]?.score === 4 && mine.grades[0].signature.length > 40, `grades: ${JSON.stringify(mine)}`);
    const g = mine.grades[0]!;
    const app = (await memberApi.ok<Array<{ application: string; pin: string }>>("GET", "/api/grading/essays")).find((e) => e.pin === creds.pin)!.application;
    const replay = await memberApi.call<{ error: { key: string } }>("POST", `/api/grading/essays/${app}/grade`, { score: 4, issued: g.issued, nonce: g.nonce, format: g.format, signature: g.signature });
    assert.equal(replay.status, 409);
    assert.equal(replay.body.error.key, "workflow.err.graded_once");

    // ---- HR exports the results ----
    const hrPage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    hrPage.on("pageerror", (e) => errors.push(e.message));
    await hrPage.goto(`${sys.url}/?lang=en`);
    await hrPage.getByLabel("Username").fill(creds.hr_user);
    await hrPage.getByLabel("Password").fill(creds.hr_password);
    await hrPage.getByRole("button", { name: "Sign in" }).click();
    await hrPage.locator('table.competitions tr[data-status="stages"]', { hasText: "roads department" }).getByRole("button", { name: "Open" }).click();
    await hrPage.locator("#results-csv").waitFor({ timeout: 10000 });
    const [download] = await Promise.all([hrPage.waitForEvent("download"), hrPage.locator("#results-csv").click()]);
    const csv = readFileSync(await download.path(), "utf8");
    const lines = csv.trim().split("\n");
    assert.equal(lines[0], "rank,pin,personal_qualities,textual_numerical,essay,essay_state,interview,total,finalist,legislation");
    assert.ok(lines.some((l) => l.split(",")[1] === creds.pin && l.includes(",grading,")), `results:\n${csv}`);
    // The PDF for the state body, in the page's language: what a reader
    // of the printout sees (pdftotext), by PIN only.
    const [pdfDl] = await Promise.all([hrPage.waitForEvent("download"), hrPage.locator("#results-pdf").click()]);
    const pdfPath = await pdfDl.path();
    assert.equal(readFileSync(pdfPath).subarray(0, 5).toString(), "%PDF-");
    const txt = spawnSync("pdftotext", ["-layout", pdfPath, "-"], { encoding: "utf8" });
    assert.equal(txt.status, 0, `pdftotext: ${txt.stderr}`);
    assert.match(txt.stdout, /Results of the competition/);
    assert.match(txt.stdout, new RegExp(`${creds.pin}.*being graded`));
    const kk = await hr.call("GET", `/api/competitions/${creds.competition}/results.pdf`);
    assert.equal(kk.status, 200);
    await shot(hrPage, "hr-results");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});
