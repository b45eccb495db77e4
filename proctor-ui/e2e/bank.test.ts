// HR's item banks (issue 12) in a real Chromium against a real
// kuzet-server: HR opens the bank screen, imports a QTI content package
// made here (one choice item it takes, one slider item it cannot ask) and
// sees the item in the bank's table with the numerical section's shortfall
// and the slider item refused by its identifier with the reason, in
// English and in Kazakh; then a file that is no QTI at all is refused
// whole with the server's reason, and the bank still shows its item.
// Then HR defines a test program of their own from a JSON file (Annex 3:
// sections by category, the time limit), sees a wrong one refused with the
// reason, and picks the new one for a stage of a new competition.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { launch, loginAs, repo, shot, Staff, startServer, waitFor, type System } from "./harness.js";

/** A zip of stored (uncompressed) entries: all a content package needs. */
function zip(files: Array<[string, string]>): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of files) {
    const n = Buffer.from(name, "utf8");
    const data = Buffer.from(text, "utf8");
    const crc = crc32(data);
    // Version 2.0, flags (bit 11: UTF-8 names), stored, 1980-01-01 00:00.
    const fields = (b: Buffer, at: number): void => {
      b.writeUInt16LE(20, at);
      b.writeUInt16LE(0x0800, at + 2);
      b.writeUInt16LE(0, at + 4);
      b.writeUInt16LE(0, at + 6);
      b.writeUInt16LE(0x21, at + 8);
      b.writeUInt32LE(crc, at + 10);
      b.writeUInt32LE(data.length, at + 14);
      b.writeUInt32LE(data.length, at + 18);
      b.writeUInt16LE(n.length, at + 22);
    };
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    fields(lh, 4);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    fields(ch, 6);
    ch.writeUInt32LE(offset, 42);
    local.push(lh, n, data);
    central.push(ch, n);
    offset += lh.length + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cd, end]);
}

const ns = `xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"`;
const matchCorrect = `<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>`;

const goodItem = `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem ${ns} identifier="tn-percent-1" title="Пайызды есептеу" label="numerical" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>B</value></correctResponse></responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>A budget of 200 million tenge grows by 15%. What is it now?</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
      <simpleChoice identifier="A">215 million</simpleChoice>
      <simpleChoice identifier="B">230 million</simpleChoice>
      <simpleChoice identifier="C">300 million</simpleChoice>
    </choiceInteraction>
  </itemBody>
  ${matchCorrect}
</assessmentItem>`;

const sliderItem = `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem ${ns} identifier="tn-slider-2" title="Slider" label="numerical" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="integer"><correctResponse><value>5</value></correctResponse></responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>How many working days are there in a week?</p>
    <sliderInteraction responseIdentifier="RESPONSE" lowerBound="0" upperBound="7" step="1"/>
  </itemBody>
  ${matchCorrect}
</assessmentItem>`;

const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="e2e-bank"><organizations/><resources>
  <resource identifier="res-good" type="imsqti_item_xmlv2p1" href="items/good.xml"><file href="items/good.xml"/></resource>
  <resource identifier="res-slider" type="imsqti_item_xmlv2p1" href="items/slider.xml"><file href="items/slider.xml"/></resource>
</resources></manifest>`;

/** A real server and HR's page in a real Chromium, signed in. */
async function hrPage(): Promise<{ sys: System; browser: Browser; page: Page; demo: { hr_user: string; hr_password: string }; errors: string[] }> {
  const sys = await startServer();
  const browser = await launch();
  const errors: string[] = [];
  const demo = JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as { hr_user: string; hr_password: string };
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("pageerror", (e) => errors.push(e.message));
  await loginAs(page, sys, demo.hr_user, demo.hr_password);
  await page.waitForURL(/\/hr\.html\?lang=en$/, { timeout: 15000 });
  return { sys, browser, page, demo, errors };
}

test("HR imports a QTI package into a bank, sees the refused item by identifier, and a non-QTI file is refused whole", { timeout: 90000 }, async () => {
  const { sys, browser, page, demo, errors } = await hrPage();
  try {

    // The bank screen: a bank per test stage (the legislation test, p.14,
    // first); the demo's personal-qualities bank has 40 items, enough for
    // the example program's 40 questions.
    await page.getByText("Item banks (QTI 2.1)").click();
    const bank = page.getByLabel("Bank", { exact: true });
    assert.deepEqual(await bank.locator("option").allInnerTexts(), ["Legislation knowledge test (legislation)", "Personal qualities (personal_qualities)", "Textual and numerical reasoning (textual_numerical)"]);
    await bank.selectOption("personal_qualities");
    const items = page.locator("#bank-items tbody tr");
    await page.locator("#bank-items").waitFor({ timeout: 10000 });
    assert.equal(await items.count(), 40);
    assert.match(await page.locator(".bank-program").innerText(), /a variant can be drawn/);

    // The textual/numerical bank is empty; both its sections are short.
    await bank.selectOption("textual_numerical");
    await page.getByText("Nothing has been imported into textual_numerical yet.").waitFor({ timeout: 10000 });
    assert.match(await page.locator(".bank-program").innerText(), /not enough items for a variant/);

    // A package of a good item and a slider item: the good one is taken,
    // the slider refused by its identifier with the reason.
    const pkg = zip([["imsmanifest.xml", manifest], ["items/good.xml", goodItem], ["items/slider.xml", sliderItem]]);
    await page.getByLabel("QTI file").setInputFiles({ name: "numerical.zip", mimeType: "application/zip", buffer: pkg });
    await page.getByRole("button", { name: "Import into textual_numerical" }).click();
    const result = page.locator("#bank-result");
    await result.locator(".summary").waitFor({ timeout: 15000 });
    assert.equal(await result.locator(".summary").innerText(), "“numerical.zip”: new items: 1, new versions: 0, unchanged: 0, refused: 1. Items in the bank now: 1.");
    const refused = result.locator("ul.bank-refused li");
    assert.equal(await refused.count(), 1);
    assert.match(await refused.innerText(), /^tn-slider-2 — sliderInteraction is not supported; the supported interactions are choice, /);
    assert.match(await refused.innerText(), /items\/slider\.xml/);
    await items.first().waitFor({ timeout: 10000 });
    assert.equal(await items.count(), 1);
    const row = await items.first().innerText();
    assert.match(row, /tn-percent-1\s+Пайызды есептеу\s+choiceInteraction\s+numerical/);
    // One numerical item of the ten the example program draws; none textual.
    const sections = page.locator(".bank-program tbody tr");
    assert.match(await sections.filter({ hasText: "Numerical information" }).innerText(), /numerical\s+10\s+1\s+9 short/);
    assert.match(await sections.filter({ hasText: "Textual information" }).innerText(), /textual\s+10\s+0\s+10 short/);
    assert.match(await page.locator(".bank-counts ul.categories").innerText(), /numerical 1/);
    await page.locator("#banks").screenshot({ path: "/tmp/bank-imported.png" });

    // In Kazakh, the default language of the portal, the reason too.
    await page.locator('nav.langs button[data-lang="kk"]').click();
    await page.getByText("Тапсырмалар банктері (QTI 2.1)").waitFor({ timeout: 5000 });
    assert.match(await page.locator("ul.bank-refused li").innerText(), /^tn-slider-2 — sliderInteraction қолдау көрсетілмейді/);
    assert.match(await page.locator("#bank-result .summary").innerText(), /жаңа тапсырмалар — 1/);
    await page.locator("#banks").screenshot({ path: "/tmp/bank-imported-kk.png" });
    await page.locator('nav.langs button[data-lang="en"]').click();
    await page.getByText("Item banks (QTI 2.1)").waitFor({ timeout: 5000 });

    // A file that is neither XML nor a package: the server's refusal,
    // and the bank keeps its item.
    await page.getByLabel("QTI file").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("the questions are in the other folder\n") });
    await page.getByRole("button", { name: "Import into textual_numerical" }).click();
    const failed = page.locator("#bank-result.failed");
    await failed.waitFor({ timeout: 10000 });
    assert.match(await failed.innerText(), /“notes.txt” was not imported; the bank is unchanged\.\s+Send the file as application\/xml or application\/zip\./);
    assert.equal(await failed.locator(".refusal").getAttribute("role"), "alert");
    assert.equal(await failed.locator(".refusal").getAttribute("data-key"), "workflow.err.bank_type");
    assert.equal(await items.count(), 1);
    assert.match(await items.first().innerText(), /tn-percent-1/);

    // An .xml file that is empty: refused whole too.
    await page.getByLabel("QTI file").setInputFiles({ name: "empty.xml", mimeType: "application/xml", buffer: Buffer.from("\n") });
    await page.getByRole("button", { name: "Import into textual_numerical" }).click();
    await failed.filter({ hasText: "empty.xml" }).waitFor({ timeout: 10000 });
    assert.match(await failed.innerText(), /cannot be read as a QTI 2\.1 item or content package: the file is empty/);
    assert.equal(await items.count(), 1);
    await shot(page, "bank-refused");
    await page.locator("#banks").screenshot({ path: "/tmp/bank-refused.png" });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await sys.stop();
  }
});

/** A day from today, YYYY-MM-DD in UTC+5. */
function kzDay(days: number): string {
  return new Date(Date.now() + 5 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

test("HR defines a test program from a JSON file and picks it for a stage", { timeout: 90000 }, async () => {
  const { sys, browser, page, demo, errors } = await hrPage();
  try {
    await page.getByText("Item banks (QTI 2.1)").click();
    const list = page.locator("#program-list tbody tr");
    await list.first().waitFor({ timeout: 10000 });
    const shipped = await list.count();
    assert.match(await page.locator('#program-list tr[data-program="personal-qualities-example"]').innerText(), /Personal qualities\s+40\s+40 min\s+Shipped/);

    // A program with a field the server does not know: refused with it named.
    const example = JSON.parse(readFileSync(join(repo, "server/exam/programs/personal-qualities.json"), "utf8")) as Record<string, unknown> & { sections: Array<{ count: number }> };
    const wrong = { ...example, id: "pq-wrong", colour: "red" };
    await page.getByLabel("Program file (JSON)").setInputFiles({ name: "wrong.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(wrong)) });
    await page.getByRole("button", { name: "Define the program" }).click();
    const failed = page.locator("#program-result.failed");
    await failed.waitFor({ timeout: 10000 });
    assert.match(await failed.innerText(), /The program in wrong\.json was not accepted:[\s\S]*colour/);
    assert.equal(await list.count(), shipped, "a refused program was listed");

    // A good one: 20 questions in 25 minutes under an id of HR's own.
    const mine = { ...example, id: "pq-2027", time_limit: "25m", sections: example.sections.map((x) => ({ ...x, count: 20 })) };
    await page.getByLabel("Program file (JSON)").setInputFiles({ name: "pq-2027.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(mine, null, 1)) });
    await page.getByRole("button", { name: "Define the program" }).click();
    await page.locator("#program-result.ok").waitFor({ timeout: 10000 });
    assert.equal(await page.locator("#program-result").innerText(), "The program pq-2027 is defined: 20 questions, 25 min. It can now be picked for a test stage.");
    const row = page.locator('#program-list tr[data-program="pq-2027"]');
    assert.match(await row.innerText(), /pq-2027\s+.*\s+Personal qualities\s+20\s+25 min\s+Defined by HR: \d{4}-\d\d-\d\d \d\d:\d\d [0-9a-f]{12}/);
    await page.locator("#programs").screenshot({ path: "/tmp/programs-defined.png" });

    // The same id again is refused: a defined program is never changed.
    await page.getByLabel("Program file (JSON)").setInputFiles({ name: "again.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify({ ...mine, time_limit: "30m" })) });
    await page.getByRole("button", { name: "Define the program" }).click();
    await failed.filter({ hasText: "again.json" }).waitFor({ timeout: 10000 });
    assert.match(await failed.innerText(), /never changed/);

    // The new competition's personal-qualities stage under the new program.
    await page.getByText("New competition").click();
    const pick = page.locator("#s-personal_qualities-program");
    assert.deepEqual(await pick.locator("option").allInnerTexts(), ["Personal-qualities assessment (example) (personal-qualities-example) · 40 questions, 40 min", `${(example.title as { en: string }).en} (pq-2027) · 20 questions, 25 min`]);
    assert.equal(await page.locator("#s-essay-program").count(), 0, "the essay takes no program");
    await page.getByLabel("State body").selectOption("min-justice");
    await page.getByLabel("Position (corps B)").fill("E2E: expert, programs");
    await page.getByLabel("Applications open on").fill(kzDay(0));
    await page.getByLabel("Application deadline").fill(kzDay(7));
    await page.locator("#s-personal_qualities").check();
    await page.locator("#s-personal_qualities-starts").fill(`${kzDay(30)}T10:00`);
    await page.locator("#s-personal_qualities-ends").fill(`${kzDay(30)}T12:00`);
    await pick.selectOption("pq-2027");
    await page.getByRole("button", { name: "Create the competition" }).click();
    const stage = page.locator('#stages li[data-stage="personal_qualities"] .stage-program');
    await stage.waitFor({ timeout: 10000 });
    assert.equal(await stage.getAttribute("data-program"), "pq-2027");
    assert.match(await stage.innerText(), /Test program: .* \(pq-2027\) · 20 questions, 25 min/);
    await shot(page, "hr-stage-program");

    const hr = await Staff.login(sys, demo.hr_user, demo.hr_password);
    const all = await hr.ok<Array<{ position: string; stages: Array<{ kind: string; program?: string }> }>>("GET", "/api/competitions");
    const made = all.find((c) => c.position === "E2E: expert, programs");
    assert.equal(made?.stages.find((x) => x.kind === "personal_qualities")?.program, "pq-2027");
    await waitFor("no page errors", () => errors.length === 0, 1000);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await sys.stop();
  }
});
