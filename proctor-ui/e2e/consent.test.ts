// The consent notice in a real Chromium against a real kuzet-server and a
// real kuzet-agent (issue 13): the candidate page opened by the agent shows
// what is recorded, for which rule, who sees it and how long it is kept —
// in Kazakh by default, then Russian and English — before anything is
// captured. Refusing says plainly what it means and the agent still
// captures nothing; agreeing starts the camera, and the page says so.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createSittings, launch, pageLink, shot, Staff, startAgent, startServer, waitFor } from "./harness.js";

test("the candidate reads the consent notice in kk, ru and en, refuses, then agrees and the camera starts", { timeout: 120000 }, async () => {
  const sys = await startServer();
  const [sitting] = await createSittings(sys, 1, [sys.demo.proctor_user]);
  const agent = startAgent(sys, sitting!.token, ["--lang", "kk", "--mic", "none", "--no-checks"], {}, false);
  const browser = await launch();
  const errors: string[] = [];
  try {
    const link = await pageLink(agent);
    const page = await browser.newPage({ viewport: { width: 1000, height: 1100 } });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(link);

    // Kazakh, the agent's language: the notice before anything else.
    const notice = page.locator("#consent");
    await notice.waitFor({ timeout: 15000 });
    assert.equal(await page.locator("#consent-title").innerText(), "Бастамас бұрын: не жазылады және неге");
    const items = notice.locator("ul.consent-items li");
    assert.deepEqual(await items.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset["what"])), ["camera", "microphone", "screen", "processes", "audio_devices"]);
    assert.match(await items.first().innerText(), /^Камера: .* — Не үшін: 10\.1, 10\.2, 10\.3, 10\.4, 10\.5, 10\.6, 10\.7-ереже/);
    assert.match(await page.locator("#consent-who").innerText(), /ПИН.*p\.74-1/);
    assert.match(await page.locator("#consent-kept").innerText(), /365 күн/);
    assert.equal(await page.locator("#camera").innerText(), "бейне жіберілмейді", "the camera is off before consent");
    await shot(page, "consent-kk");

    for (const [lang, title, kept] of [["ru", "Перед началом: что записывается и зачем", /365 дн\./], ["en", "Before you start: what is recorded and why", /365 days/]] as const) {
      await page.locator(`nav.langs button[data-lang="${lang}"]`).click();
      await page.getByRole("heading", { name: title }).waitFor({ timeout: 5000 });
      assert.match(await page.locator("#consent-kept").innerText(), kept);
      await shot(page, `consent-${lang}`);
    }

    // "I do not agree": told what it means, and still nothing is captured.
    await page.getByRole("button", { name: "I do not agree" }).click();
    const declined = page.locator("#consent-declined");
    await declined.waitFor({ timeout: 10000 });
    assert.match(await declined.innerText(), /nothing is recorded\. Without proctoring this stage cannot be taken online/);
    assert.equal(await page.getByRole("button", { name: "I do not agree" }).count(), 0);
    await waitFor("the agent's word on the refusal", () => agent.out().includes("бақылауға келісім бермедіңіз"), 10000);
    assert.doesNotMatch(agent.out(), /камераға көрсетіңіз/, "the agent asked for the ID document before consent");
    await shot(page, "consent-declined");

    // "I agree, start": the page says so and the camera comes on.
    await page.getByRole("button", { name: "I agree, start" }).click();
    await page.locator("#consent-given").waitFor({ timeout: 10000 });
    assert.match(await page.locator("#consent-given").innerText(), /^Consent given at .*\. Recording has started\.$/);
    assert.equal(await page.locator("#consent").count(), 0);
    await waitFor("the camera on", async () => (await page.locator("#camera").innerText()) === "video is being sent", 30000);
    await shot(page, "consent-given");

    // The ID step (rule 10.1): the guide frame and the countdown, who sees
    // the photo, then the word that it was taken.
    await page.locator("#id-step").waitFor({ timeout: 15000 });
    assert.match(await page.locator("#id-count").innerText(), /the picture is taken in \d+ s\.$|keep holding/);
    assert.match(await page.locator("#id-who").innerText(), /Only the HR service sees this photo.*p\.74-1/);
    await page.locator("#id-step").screenshot({ path: "/tmp/id-step.png" });
    await shot(page, "candidate-id-step");
    await page.locator("#id-done").waitFor({ timeout: 30000 });
    assert.equal(await page.locator("#id-step").count(), 0);

    // A proctor's warning: the candidate reads it, says so, and the
    // proctor's feed has the acknowledgement.
    const proctor = await Staff.login(sys, sys.demo.proctor_user, sys.demo.proctor_password);
    const warned = await proctor.ok<{ record: { n: number } }>("POST", `/api/sittings/${sitting!.id}/warning`, { rule: "10.4", text: "Please face the screen." });
    const warning = page.locator(`li.notice-warning[data-n="${warned.record.n}"]`);
    await warning.waitFor({ timeout: 10000 });
    assert.match(await warning.innerText(), /Please face the screen\./);
    await warning.getByRole("button", { name: "I have read this" }).click();
    await warning.locator(".acked").waitFor({ timeout: 10000 });
    assert.match(await warning.locator(".acked").innerText(), /^Read at /);
    await shot(page, "candidate-acknowledged");
    const admin = await Staff.login(sys, sys.demo.admin_user, sys.demo.admin_password);
    const tl = await admin.ok<{ records: Array<{ action?: { kind: string; target?: number; actor: string } }> }>("GET", `/api/replay/sittings/${sitting!.id}`);
    assert.ok(tl.records.some((r) => r.action?.kind === "acknowledged" && r.action.target === warned.record.n && r.action.actor === "candidate"), "the acknowledgement is in the sitting's log");

    // The room scan (rule 10.7): the steps and a turning ring while the
    // agent measures.
    await proctor.ok("POST", `/api/sittings/${sitting!.id}/room-scan`, { note: "e2e" });
    const scan = page.locator('#room-scan[data-state="running"]');
    await scan.waitFor({ timeout: 15000 });
    assert.equal(await scan.locator("ol.scan-steps li").count(), 3);
    assert.equal(await scan.locator(".scan-ring").getAttribute("aria-label"), "The agent is measuring the turn");
    await scan.screenshot({ path: "/tmp/room-scan.png" });

    // A reload keeps the decision and the acknowledgement.
    await page.reload();
    await page.locator("#consent-given").waitFor({ timeout: 15000 });
    await page.locator(`li.notice-warning[data-n="${warned.record.n}"] .acked`).waitFor({ timeout: 15000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await agent.stop();
    await sys.stop();
  }
});
