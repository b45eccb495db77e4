// The legislation knowledge test (p.14) in a real Chromium against a real
// kuzet-server and a real agent: the demo candidate of the legislation
// test running now starts it under the agent, answers three of the 55
// questions and submits; the cabinet says the result is below the pass
// values with the day a retest becomes possible, and the candidate
// downloads the below-pass certificate (Annex 6) as a PDF that carries
// their PIN, the counts and that day, never their name.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { launch, shot, seatedAgent, startServer, waitFor } from "./harness.js";

interface Creds {
  legislation_cabinet: string;
  legislation_token: string;
}

interface Held {
  pin?: string;
  correct?: number;
  passed?: boolean;
  certificate?: { pin: string; retest_from: string; correct: number };
}

test("p.14: a legislation result below the pass values gives the Annex 6 certificate in the cabinet, with the retest day", { timeout: 180000 }, async () => {
  const sys = await startServer();
  const creds = JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as Creds;
  const token = creds.legislation_cabinet.split("#inbox=")[1] ?? "";
  assert.ok(token && creds.legislation_token, "the demo has no legislation cabinet (server/demo)");
  const browser = await launch();
  const errors: string[] = [];
  const agent = seatedAgent(sys, creds.legislation_token);
  try {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 1000 }, acceptDownloads: true });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${sys.url}/cabinet.html?lang=en#inbox=${token}`);
    const sec = page.locator("#test-legislation");
    const start = sec.locator("button.test-start");
    await start.waitFor({ timeout: 15000 });
    assert.match(await sec.locator("h2").innerText(), /Legislation knowledge test/);
    const questions = sec.locator("li.question");
    await waitFor("the legislation test to start once the agent joined", async () => {
      if ((await questions.count()) > 0) return true;
      if (await start.isVisible()) await start.click();
      await new Promise((r) => setTimeout(r, 1000));
      return (await questions.count()) > 0;
    }, 60000);
    assert.equal(await questions.count(), 55, "the legislation program draws 55 questions (15/15/15/10)");
    for (const n of [1, 2, 3]) await sec.locator(`li.question[data-number="${n}"] label.choice`).first().click();
    await sec.locator(`.test-status[data-state="saved"]`, { hasText: "3 answers saved" }).waitFor({ timeout: 20000 });
    await sec.locator("button.test-submit").click();

    const done = sec.locator(".test-submitted");
    await done.waitFor({ timeout: 10000 });
    const r = await fetch(`${sys.url}/api/cabinet/tests/legislation`, { headers: { Authorization: `Bearer ${token}` } });
    const held = (await r.json()) as Held;
    assert.equal(held.passed, false);
    const cert = held.certificate;
    assert.ok(cert, "the test view carries the certificate");
    assert.equal(await done.getAttribute("data-result"), "below_pass");
    const said = await done.innerText();
    assert.ok(said.includes(`Correct answers: ${held.correct} of 55.`), said);
    assert.match(said, /below the pass values \(p\.14\)/);
    assert.ok(said.includes(`A retest is possible from ${cert.retest_from}`), said);
    await shot(page, "legislation-below-pass");

    const [download] = await Promise.all([page.waitForEvent("download"), sec.locator("button.test-certificate").click()]);
    const path = await download.path();
    assert.ok(path, "the certificate was downloaded");
    const pdf = readFileSync(path);
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    const text = spawnSync("pdftotext", [path, "-"], { encoding: "utf8" });
    if (text.error) {
      console.log(`could not check the certificate's text: pdftotext: ${text.error.message}`);
    } else {
      assert.match(text.stdout, /Certificate of a below-pass result of the legislation knowledge test/);
      assert.ok(text.stdout.includes(cert.pin), "the certificate names the PIN");
      assert.ok(text.stdout.includes(cert.retest_from), "the certificate gives the retest day");
      assert.match(text.stdout, /Constitution of the Republic of Kazakhstan/);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});
