// Accessibility (issue 13): axe-core's WCAG 2.1 A and AA rules over every
// page of the web app, as each role first sees it, in Kazakh (the default)
// and in English: the sign-in page, the proctor's dashboard, HR's page, the
// replay, the accounts page, the commission's grading page, the
// candidate's cabinet, the join link's page and the candidate page with
// its consent notice.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { axe, createSittings, launch, loginAs, pageLink, startAgent, startServer } from "./harness.js";

interface Creds {
  proctor_user: string;
  proctor_password: string;
  hr_user: string;
  hr_password: string;
  auditor_user: string;
  auditor_password: string;
  admin_user: string;
  admin_password: string;
  commission_user: string;
  commission_password: string;
  cabinet: string;
}

test("axe-core finds no WCAG 2.1 AA violation on any page", { timeout: 150000 }, async () => {
  const sys = await startServer();
  const creds = JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as Creds;
  const [sitting] = await createSittings(sys, 1);
  const agent = startAgent(sys, sitting!.token, ["--lang", "kk", "--mic", "none", "--no-checks"], {}, false);
  const browser = await launch();
  try {
    // Who, where they land (or are sent next), and what shows it loaded.
    const staff: Array<[string, string, string, string, string]> = [
      ["the proctor's dashboard", creds.proctor_user, creds.proctor_password, "", "main"],
      ["HR's page", creds.hr_user, creds.hr_password, "/hr.html?lang=en", "table.competitions"],
      ["the replay", creds.auditor_user, creds.auditor_password, "/replay.html?lang=en", "main"],
      ["the accounts page", creds.admin_user, creds.admin_password, "/accounts.html?lang=en", "main"],
      ["the grading page", creds.commission_user, creds.commission_password, "/grading.html?lang=en", "#essays"],
    ];
    for (const lang of ["kk", "en"]) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${sys.url}/?lang=${lang}`);
      await page.locator("form.login").waitFor({ timeout: 15000 });
      await axe(page, `the sign-in page (${lang})`);
      await page.close();
    }
    for (const [what, user, password, path, ready] of staff) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await loginAs(page, sys, user, password);
      await page.locator("form.login").waitFor({ state: "detached", timeout: 15000 });
      if (path && !page.url().endsWith(path)) await page.goto(`${sys.url}${path}`);
      await page.locator(ready).first().waitFor({ timeout: 15000 });
      await page.waitForLoadState("networkidle");
      await axe(page, what);
      await page.close();
    }
    const cabinet = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await cabinet.goto(`${sys.url}${creds.cabinet}`);
    await cabinet.locator("main").waitFor({ timeout: 15000 });
    await cabinet.waitForLoadState("networkidle");
    await axe(cabinet, "the candidate's cabinet");
    // The join link opened in a browser: how to start the agent with it.
    const join = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await join.goto(`${sys.url}/join?lang=kk#token=jt-example`);
    await join.locator("#join-command").waitFor({ timeout: 15000 });
    assert.equal(await join.locator("#join-command").innerText(), `kuzet-agent join '${sys.url}/join#token=jt-example'`);
    assert.match(await join.locator("h1").nth(1).innerText(), /^Бақыланатын кезеңді бастау$/);
    await axe(join, "the join link's page (kk)");
    await join.goto(`${sys.url}/join?lang=en`);
    await join.reload();
    await join.locator("#join-invalid").waitFor({ timeout: 15000 });
    assert.match(await join.locator("#join-invalid").innerText(), /carries no token/);
    const cand = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await cand.goto(await pageLink(agent));
    await cand.locator("#consent").waitFor({ timeout: 15000 });
    await axe(cand, "the candidate page with the consent notice (kk)");
    await cand.getByRole("button", { name: "Келісемін, бастау" }).click();
    await cand.locator("#checks").waitFor({ timeout: 15000 });
    await axe(cand, "the candidate page with the pre-check (kk)");
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});
