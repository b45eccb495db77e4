// HR's screens (issue 11) in a real Chromium against a real kuzet-server
// with the demo's eight competitions: HR signs in on hr.html, is refused a
// competition whose dates are out of order (with the clause), creates it,
// sees the overdue items of the competition in review, reviews an
// incomplete and a complete application, and opens a scan. Then the
// candidate's inbox at the demo cabinet link: status, notices, an upload
// and the one-time completion of the package (p.73).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launch, shot, shots, startServer, waitFor, type System } from "./harness.js";

interface HRDemo {
  hr_user: string;
  hr_password: string;
  cabinet: string;
}

function hrDemo(sys: System): HRDemo {
  return JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as HRDemo;
}

/** A date n days from today in Kazakhstan (UTC+5), as YYYY-MM-DD. */
function kzDay(n: number): string {
  return new Date(Date.now() + 5 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

function watchErrors(page: Page, errors: string[]): void {
  // Refused requests are logged by the browser as failed loads; the
  // test checks each refusal on the page instead.
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
}

test("HR creates a competition, sees overdue items and reviews applications", { timeout: 60000 }, async () => {
  const sys = await startServer();
  const browser = await launch();
  const errors: string[] = [];
  try {
    const demo = hrDemo(sys);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    watchErrors(page, errors);

    // Not signed in: hr.html shows the login form.
    await page.goto(`${sys.url}/hr.html?lang=en`);
    await page.getByRole("heading", { name: "Sign in to the HR service" }).waitFor({ timeout: 15000 });
    // HR signing in to the staff app lands on the HR screens.
    await page.goto(`${sys.url}/?lang=en`);
    await page.getByLabel("Username").fill(demo.hr_user);
    await page.getByLabel("Password").fill(demo.hr_password);
    await page.getByRole("button", { name: "Sign in" }).click();

    // The eight demo competitions, each with its status (three in their
    // stages: the essay, the personal-qualities and the legislation tests); the one in review
    // shows its overdue count in the list.
    await page.waitForURL(/\/hr\.html\?lang=en$/, { timeout: 15000 });
    const rows = page.locator("table.competitions tbody tr");
    await waitFor("the eight demo competitions", async () => (await rows.count()) === 8, 15000);
    const statuses = (await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset["status"] ?? ""))).sort();
    assert.deepEqual(statuses, ["accepting", "cancelled", "completed", "draft", "review", "stages", "stages", "stages"]);
    const review = page.locator('table.competitions tr[data-status="review"]');
    assert.match(await review.innerText(), /Review of documents/);
    assert.match(await review.locator(".overdue-count").innerText(), /^\d+ overdue$/);
    assert.match(await page.locator('table.competitions tr[data-status="completed"]').innerText(), /Completed/);
    await shot(page, "hr-competitions");

    // Creating: the essay set before the review of applications ends is
    // refused with the clause (p.73: 3 working days after the deadline),
    // and nothing is stored.
    await page.getByText("New competition").click();
    await page.getByLabel("State body").selectOption("min-justice");
    await page.getByLabel("Position (corps B)").fill("E2E: chief expert, registry department");
    await page.getByLabel("The position requires work experience").check();
    await page.getByLabel("Applications open on").fill(kzDay(0));
    await page.getByLabel("Application deadline").fill(kzDay(7));
    await page.locator("#s-essay").check();
    await page.locator("#s-essay-starts").fill(`${kzDay(8)}T10:00`);
    await page.locator("#s-essay-ends").fill(`${kzDay(8)}T12:00`);
    await page.getByRole("button", { name: "Create the competition" }).click();
    const refusal = page.locator("#create-error");
    await refusal.waitFor({ timeout: 10000 });
    assert.equal(await refusal.getAttribute("role"), "alert");
    assert.equal(await refusal.locator(".clause").innerText(), "p.73");
    assert.match(await refusal.innerText(), /essay/);
    assert.match(await refusal.innerText(), /review/i);
    await refusal.scrollIntoViewIfNeeded();
    await shot(page, "hr-create-refused");
    assert.equal(await rows.count(), 8, "a refused competition was listed");

    // The essay a month later: created as a draft and opened.
    await page.locator("#s-essay-starts").fill(`${kzDay(30)}T10:00`);
    await page.locator("#s-essay-ends").fill(`${kzDay(30)}T12:00`);
    await page.getByRole("button", { name: "Create the competition" }).click();
    await waitFor("the new competition in the list", async () => (await rows.count()) === 9, 10000);
    const title = page.locator("#competition-title");
    await title.waitFor({ timeout: 10000 });
    assert.match(await title.innerText(), /E2E: chief expert, registry department/);
    assert.equal(await page.locator("#competition-status").innerText(), "Draft");
    assert.match(await page.locator("#stages").innerText(), /Essay/);
    assert.match(await page.locator("#hr-status").innerText(), /Competition created \(draft\)/);
    await page.getByRole("button", { name: "Publish (open for applications)" }).click();
    await waitFor("published", async () => (await page.locator("#competition-status").innerText()) === "Accepting applications", 10000);

    // The competition in review: its overdue items on top, each with its
    // clause, the date that passed and whose application it is.
    await review.getByRole("button", { name: "Open" }).click();
    await waitFor("the review competition", async () => /legal department/.test(await title.innerText()), 10000);
    const overdue = page.locator("section#overdue");
    const items = overdue.locator("li.overdue-item");
    await items.first().waitFor({ timeout: 10000 });
    const kinds = (await items.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset["kind"] ?? ""))).sort();
    assert.deepEqual(kinds, ["recheck", "review", "supplement_ended"]);
    for (const text of await items.allInnerTexts()) {
      assert.match(text, /^p\.73 /, `an overdue item without its clause: ${text}`);
      assert.match(text, /\d{4}-\d{2}-\d{2} 23:59/, `an overdue item without the date that passed: ${text}`);
    }
    const ended = items.filter({ hasText: "did not complete the package" });
    const endedApp = await ended.getAttribute("data-application");
    assert.ok(endedApp);
    await overdue.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, "hr-overdue.png") });

    // HR sees the applicant's personal data (HR only) and the scans.
    const submitted = page.locator('article.app[data-status="submitted"]');
    assert.equal(await submitted.count(), 1);
    assert.match(await submitted.innerText(), /IIN\s+\d{12}/);
    assert.match(await submitted.innerText(), /@demo\.kuzet\.kz/);
    assert.match(await submitted.innerText(), /The package is complete/);
    const docLink = submitted.locator("a.doc-link").first();
    assert.equal(await docLink.innerText(), "Education document");
    assert.equal(await docLink.getAttribute("target"), "_blank");
    const [scan] = await Promise.all([page.waitForEvent("popup"), docLink.click()]);
    // The scan opens in its own tab, in the browser's PDF viewer.
    await scan.waitForLoadState("load");
    const href = await docLink.getAttribute("href");
    assert.ok(href && scan.url() === `${sys.url}${href}`, `the tab opened ${scan.url()}, not the scan ${href}`);
    const scanResp = await page.request.get(`${sys.url}${href}`);
    assert.equal(scanResp.status(), 200);
    assert.equal(scanResp.headers()["content-type"], "application/pdf");
    assert.ok((await scanResp.body()).subarray(0, 5).equals(Buffer.from("%PDF-")), "the scan is not the PDF");
    // The viewer draws outside the DOM: the screenshot is for a person.
    await new Promise((r) => setTimeout(r, 3000));
    await shot(scan, "hr-scan");
    await scan.close();

    // A complete package cannot be refused without a reason (p.73)...
    await submitted.getByRole("button", { name: "Refuse" }).click();
    const noReason = submitted.locator(".review .refusal");
    await noReason.waitFor({ timeout: 10000 });
    assert.equal(await noReason.locator(".clause").innerText(), "p.73");
    assert.match(await noReason.innerText(), /reason/);
    await submitted.screenshot({ path: join(shots, "hr-refuse-needs-reason.png") });
    // ...it is admitted: a PIN, and its overdue item is gone.
    const name = await submitted.locator("h4").innerText();
    await submitted.getByRole("button", { name: "Admit" }).click();
    const admitted = page.locator("article.app", { hasText: name });
    await waitFor("the admission", async () => (await admitted.getAttribute("data-status")) === "admitted", 10000);
    assert.match(await admitted.locator(".pin").innerText(), /^PIN \S+$/);
    await waitFor("the review item to go", async () => (await overdue.locator('li[data-kind="review"]').count()) === 0, 10000);
    assert.match(await page.locator("#hr-status").innerText(), new RegExp(`${name} admitted`));
    assert.ok((await page.locator("#pins tr[data-pin]").count()) >= 2, "the new PIN is not in the PIN list");

    // The incomplete package whose day to complete it has passed: what
    // is missing, its notice, and HR refuses it (the reason is the lack).
    const incomplete = page.locator(`article.app[data-id="${endedApp}"]`);
    assert.equal(await incomplete.getAttribute("data-status"), "incomplete");
    assert.match(await incomplete.innerText(), /Missing: diploma supplement/);
    assert.match(await incomplete.innerText(), /The package lacks \(p\.73\): Education document's attachment/);
    assert.equal(await incomplete.getByRole("button", { name: "Admit" }).count(), 0, "an incomplete package may be admitted");
    await incomplete.getByText("Notices to the candidate").click();
    await incomplete.locator("li.notice-item").first().waitFor({ timeout: 10000 });
    const keys = await incomplete.locator("li.notice-item").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset["key"] ?? ""));
    assert.ok(keys.includes("workflow.notify.incomplete"), `no incomplete notice among ${keys.join(", ")}`);
    await incomplete.getByRole("button", { name: "Refuse" }).click();
    await waitFor("the refusal", async () => (await page.locator(`article.app[data-id="${endedApp}"]`).getAttribute("data-status")) === "refused", 10000);
    assert.match(await page.locator(`article.app[data-id="${endedApp}"] .reason`).innerText(), /p\.73: the package lacks education_attachment/);
    await waitFor("the supplement item to go", async () => (await overdue.locator('li[data-kind="supplement_ended"]').count()) === 0, 10000);
    await page.locator("#applications").screenshot({ path: join(shots, "hr-reviewed.png") });

    // A new cabinet link for the candidate still completing (the demo
    // cabinet's application), shown once: it opens
    // the inbox, and the old one no longer does.
    const oldInbox = await page.request.get(`${sys.url}/api/cabinet/inbox`, { headers: { Authorization: `Bearer ${demo.cabinet.split("#inbox=")[1]}` } });
    assert.equal(oldInbox.status(), 200);
    const completing = page.locator(`article.app[data-status="incomplete"]`).first();
    page.once("dialog", (d) => void d.accept());
    await completing.getByRole("button", { name: "New cabinet link" }).click();
    const link = await completing.locator("code.new-link").innerText({ timeout: 10000 });
    assert.match(link, /\/cabinet\.html#inbox=\S+$/);
    const fresh = await page.request.get(`${sys.url}/api/cabinet/inbox`, { headers: { Authorization: `Bearer ${link.split("#inbox=")[1]}` } });
    assert.equal(fresh.status(), 200);
    const stale = await page.request.get(`${sys.url}/api/cabinet/inbox`, { headers: { Authorization: `Bearer ${demo.cabinet.split("#inbox=")[1]}` } });
    assert.equal(stale.status(), 401);

    // The register: the demo rule set, marked as such, and its bodies.
    await page.getByText("State bodies and rule sets (p.1, Annex 4)").click();
    assert.match(await page.locator("#register").innerText(), /demo, not a legal act/);
    assert.match(await page.locator("#register").innerText(), /Ministry of Justice/);

    // Switching the language keeps the screen.
    await page.locator('.langs button[data-lang="kk"]').click();
    await waitFor("Kazakh", async () => (await page.locator("header.top h1").innerText()) === "Күзет — HR қызметі", 5000);
    assert.match(await page.locator("#applications-title").innerText(), /Өтініштер/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await sys.stop();
  }
});

test("the candidate's inbox shows the status and notices, takes a scan and the one completion", { timeout: 60000 }, async () => {
  const sys = await startServer();
  const browser = await launch();
  const errors: string[] = [];
  try {
    const demo = hrDemo(sys);
    assert.match(demo.cabinet, /^\/cabinet\.html#inbox=\S+$/);
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    watchErrors(page, errors);
    await page.goto(`${sys.url}/cabinet.html?lang=en${demo.cabinet.slice("/cabinet.html".length)}`);
    const status = page.locator("#inbox-status");
    await status.waitFor({ timeout: 15000 });
    assert.equal(await status.innerText(), "Application status: Incomplete");
    assert.ok(!page.url().includes("inbox="), "the token stays in the address bar");
    assert.match(await page.locator("#application").innerText(), /legal department/);
    assert.match(await page.locator("#supplement-due").innerText(), /^Complete the package by \d{4}-\d{2}-\d{2} 23:59/);
    // Newest first: the notice that the package is incomplete.
    const notices = page.locator("#notices li.notice");
    assert.ok((await notices.count()) >= 2, "the inbox lacks the received and incomplete notices");
    assert.equal(await notices.first().getAttribute("data-key"), "workflow.notify.incomplete");
    // Each notice in the page's language, as the server rendered it.
    const token = demo.cabinet.slice("/cabinet.html#inbox=".length);
    const served = (await (await fetch(`${sys.url}/api/cabinet/inbox`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { notifications: Array<{ key: string; time: string; text: Record<string, string> }> };
    const newest = [...served.notifications].sort((a, b) => b.time.localeCompare(a.time))[0];
    assert.ok(newest);
    assert.equal(await notices.first().locator(".notice-text").innerText(), newest.text["en"]);
    await shot(page, "inbox-incomplete");

    // Not a PDF, JPEG or PNG: refused, saying what is accepted.
    await page.getByLabel("Kind of document").selectOption("education_attachment");
    await page.getByLabel("File (PDF, JPEG or PNG)").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a scan") });
    await page.getByRole("button", { name: "Upload" }).click();
    const bad = page.locator("#upload-form .refusal");
    await bad.waitFor({ timeout: 10000 });
    assert.match(await bad.innerText(), /PDF/);

    const pdf = Buffer.from("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    await page.getByLabel("File (PDF, JPEG or PNG)").setInputFiles({ name: "supplement.pdf", mimeType: "application/pdf", buffer: pdf });
    await page.getByRole("button", { name: "Upload" }).click();
    await page.locator('#documents li[data-kind="education_attachment"]').waitFor({ timeout: 10000 });
    assert.match(await page.locator("#application").innerText(), /Uploaded: Education document's attachment/);

    await page.getByRole("button", { name: "Send the completed package" }).click();
    await waitFor("supplemented", async () => (await status.innerText()) === "Application status: Supplemented", 10000);
    assert.equal(await page.getByRole("button", { name: "Send the completed package" }).count(), 0, "a second completion is offered");
    assert.equal(await page.locator("#upload-form").count(), 0, "uploads stay open after the completion");
    await shot(page, "inbox-supplemented");

    // The page's language picks the server's text of each notice.
    await page.locator('.langs button[data-lang="ru"]').click();
    await waitFor("Russian", async () => (await status.innerText()) === "Статус заявления: Дополнено", 5000);
    assert.equal(await notices.last().locator(".notice-text").innerText(), [...served.notifications].sort((a, b) => a.time.localeCompare(b.time))[0]?.text["ru"]);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await sys.stop();
  }
});

test("HR assigns a proctor to a sitting by PIN, keeps a confirmed assessor without grounds, and the interview notice waits for p.120", { timeout: 60000 }, async () => {
  const sys = await startServer();
  const browser = await launch();
  const errors: string[] = [];
  try {
    const demo = hrDemo(sys);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    watchErrors(page, errors);
    await page.goto(`${sys.url}/hr.html?lang=en`);
    await page.getByLabel("Username").fill(demo.hr_user);
    await page.getByLabel("Password").fill(demo.hr_password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator('table.competitions tr[data-status="stages"]', { hasText: "roads department" }).getByRole("button", { name: "Open" }).click();
    const title = page.locator("#competition-title");
    await waitFor("the running competition", async () => /roads department/.test(await title.innerText().catch(() => "")), 15000);

    // PINs only, with the essay sitting of each; the demo sitting has
    // the demo proctor. The page shows no personal data of the admitted
    // beside the applications (HR's own view).
    const pins = page.locator("#pins tr[data-pin]");
    assert.equal(await pins.count(), 3);
    const mine = page.locator(`#pins li[data-sitting="${sys.demo.sitting_id}"]`);
    assert.match(await mine.locator(".assigned").innerText(), new RegExp(sys.demo.proctor_user));
    const other = page.locator("#pins li[data-sitting]").filter({ hasText: "nobody" }).first();
    const sitting = await other.getAttribute("data-sitting");
    assert.ok(sitting, "every sitting already has a proctor");
    await other.getByLabel(sys.demo.proctor_user, { exact: true }).check();
    await other.getByRole("button", { name: "Assign" }).click();
    // (Found by its sitting now: "nobody" no longer describes it.)
    await waitFor("the assignment", async () => (await page.locator(`#pins li[data-sitting="${sitting}"] .assigned`).innerText()) === sys.demo.proctor_user, 10000);
    // The server has it: the proctors of that sitting, read back.
    const back = await page.request.get(`${sys.url}/api/sittings/${sitting}/proctors`);
    assert.deepEqual(((await back.json()) as { proctors: string[] }).proctors, [sys.demo.proctor_user]);
    await page.locator("#pins").screenshot({ path: join(shots, "hr-pins.png") });

    // p.14-1: the assessor the system proposed who confirmed cannot be
    // removed without grounds; the refusal says so with its clause.
    const confirmed = page.locator("#commission li", { hasText: "confirmed" }).first();
    await confirmed.getByRole("button", { name: "Remove" }).click();
    const status = page.locator("#hr-status");
    await status.locator(".refusal").waitFor({ timeout: 10000 });
    assert.equal(await status.locator(".clause").innerText(), "p.14-1");
    assert.match(await status.innerText(), /grounds/);
    assert.equal(await page.locator("#commission li.removed").count(), 0, "the assessor was removed");
    await page.screenshot({ path: join(shots, "hr-commission-refused.png") });

    // p.122 follows p.120: the notice goes to the finalists only, so it
    // is refused until they are selected; and they are selected only
    // after the essay (still running in the demo). Both refusals cite p.120.
    await page.getByRole("button", { name: "Send the interview notice (p.122)" }).click();
    await waitFor("the notice's refusal", async () => (await status.locator(".clause").innerText().catch(() => "")) === "p.120", 10000);
    assert.match(await status.innerText(), /select the interview's candidates first/i);
    await page.locator("#select-interview").click();
    await waitFor("the selection's refusal", async () => /the essay runs until/.test(await status.innerText()), 10000);
    assert.equal(await status.locator(".clause").innerText(), "p.120");
    assert.equal(await page.locator('#stages li[data-stage="interview"] .meta').count(), 0, "a notice was recorded");
    await shot(page, "hr-stages");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await sys.stop();
  }
});
