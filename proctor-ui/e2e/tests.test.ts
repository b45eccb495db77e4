// A test stage (Annex 3) in a real Chromium against a real kuzet-server
// and a real agent: the demo candidate of the personal-qualities test
// running now starts it once the agent streams (rule 10), answers, and
// loses nothing to a reload or a network cut (IndexedDB keeps what the
// server has not acknowledged); the submitted test shows its Annex 3
// score, computed by the server from the answers it holds.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launch, shot, seatedAgent, startServer, waitFor } from "./harness.js";

interface Creds {
  test_cabinet: string;
  test_token: string;
}

interface TestView {
  answers: Array<{ item: string; response: string[]; revision: number }>;
  submitted?: string;
  score?: number;
}

async function held(url: string, token: string): Promise<TestView> {
  const r = await fetch(`${url}/api/cabinet/tests/personal_qualities`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  return (await r.json()) as TestView;
}

/** Picks the first choice ("Иә, әрдайым", the keyed answer) of question n. */
async function answer(page: Page, n: number): Promise<void> {
  await page.locator(`li.question[data-number="${n}"] label.choice`).first().click();
}

async function saved(page: Page, n: number): Promise<void> {
  await page.locator(`.test-status[data-state="saved"]`, { hasText: `${n} answers saved` }).waitFor({ timeout: 20000 });
}

test("a test is started under the agent, keeps every answer through a reload and a network cut, and is scored by Annex 3", { timeout: 180000 }, async () => {
  const sys = await startServer();
  const creds = JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as Creds;
  const token = creds.test_cabinet.split("#inbox=")[1] ?? "";
  assert.ok(token && creds.test_token, "the demo has no test cabinet (server/demo)");
  const browser = await launch();
  const errors: string[] = [];
  const agent = seatedAgent(sys, creds.test_token);
  try {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${sys.url}/cabinet.html?lang=en#inbox=${token}`);
    const start = page.locator("#test-personal_qualities button.test-start");
    await start.waitFor({ timeout: 15000 });
    // Until the agent joined, starting is refused citing rule 10.
    const questions = page.locator("#test-personal_qualities li.question");
    await waitFor("the test to start once the agent joined", async () => {
      if ((await questions.count()) > 0) return true;
      if (await start.isVisible()) await start.click();
      await new Promise((r) => setTimeout(r, 1000));
      return (await questions.count()) > 0;
    }, 60000);
    assert.equal(await questions.count(), 40, "the example program draws 40 questions");
    assert.match(await page.locator("#test-personal_qualities .test-left").innerText(), /Time left \d+:\d\d/);
    for (const n of [1, 2, 3]) await answer(page, n);
    await saved(page, 3);
    await shot(page, "test-answered");

    // A reload right after an answer: it is back after the reload.
    await answer(page, 4);
    await page.reload();
    await questions.first().waitFor({ timeout: 15000 });
    assert.ok(await page.locator(`li.question[data-number="4"] input`).first().isChecked(), "the answer given before the reload is back");
    await saved(page, 4);

    // The network cut: the answer is kept and sent when it is back.
    await ctx.setOffline(true);
    await answer(page, 5);
    await page.locator(`.test-status[data-state="kept"]`).waitFor({ timeout: 10000 });
    assert.equal((await held(sys.url, token)).answers.length, 4, "nothing reached the server while offline");
    await ctx.setOffline(false);
    await saved(page, 5);
    assert.equal((await held(sys.url, token)).answers.length, 5);

    await page.locator("#test-personal_qualities button.test-submit").click();
    const done = page.locator("#test-personal_qualities .test-submitted");
    await done.waitFor({ timeout: 10000 });
    // 5 of 40 keyed answers: S = 12.5 %, T = 0.02 × 12.5 = 0.25 (Annex 3).
    assert.match(await done.innerText(), /Score \(Annex 3\): 0\.25\./);
    assert.equal(String((await held(sys.url, token)).score), "0.25");
    await shot(page, "test-submitted");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});
