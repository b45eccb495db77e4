// The accounts screen (issue 16) in a real Chromium against a real
// kuzet-server: the administrator signs in on accounts.html, is refused a
// too-short password (the reason shown), creates an HR account; the HR
// officer signs in on hr.html in another browser context; the
// administrator disables the account, and the HR officer's next request is
// refused — the page goes back to the login and says why — and signing in
// again is refused with the same reason; enabled again, the login works.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page, Response } from "playwright-core";
import { launch, shot, startServer, waitFor } from "./harness.js";

function watchErrors(page: Page, errors: string[]): void {
  // Refused requests are logged as failed loads; the test checks each
  // refusal on the page instead.
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
}

test("an administrator creates an HR account, then disables it while it is in use", { timeout: 60000 }, async () => {
  const sys = await startServer();
  const browser = await launch();
  const errors: string[] = [];
  try {
    const adminCtx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const admin = await adminCtx.newPage();
    watchErrors(admin, errors);
    admin.on("dialog", (d) => void d.accept());

    await admin.goto(`${sys.url}/accounts.html?lang=en`);
    await admin.getByRole("heading", { name: "Sign in to manage accounts" }).waitFor({ timeout: 15000 });
    await admin.getByLabel("Username").fill(sys.demo.admin_user);
    await admin.getByLabel("Password", { exact: true }).fill(sys.demo.admin_password);
    await admin.getByRole("button", { name: "Sign in" }).click();
    const rows = admin.locator("table.accounts tbody tr");
    await waitFor("the demo's accounts", async () => (await rows.count()) >= 8, 15000);
    const me = admin.locator(`table.accounts tr[data-username="${sys.demo.admin_user}"]`);
    assert.match(await me.innerText(), /\(you\)/);
    assert.equal(await me.getByRole("button", { name: "Disable" }).count(), 0, "an administrator is offered to disable themselves");

    // Refused: a password shorter than 12 characters; nothing is created.
    const before = await rows.count();
    await admin.getByLabel(/^Username \(a-z/).fill("hr.e2e");
    await admin.getByLabel("Role").selectOption("hr");
    await admin.getByLabel(/^Password \(at least 12/).fill("too-short");
    await admin.getByRole("button", { name: "Create" }).click();
    const refused = admin.locator("#create-error .refusal");
    await refused.waitFor({ timeout: 10000 });
    assert.match(await refused.innerText(), /at least 12 characters/);
    assert.equal(await refused.getAttribute("data-key"), "accounts.error.password_length");
    assert.equal(await rows.count(), before);
    await shot(admin, "accounts-refused");

    const hrPass = "e2e-hr-password-1";
    await admin.getByLabel(/^Password \(at least 12/).fill(hrPass);
    await admin.getByRole("button", { name: "Create" }).click();
    const row = admin.locator('table.accounts tr[data-username="hr.e2e"]');
    await row.waitFor({ timeout: 10000 });
    assert.match(await admin.locator("#accounts-status").innerText(), /Account hr\.e2e \(HR service\) created/);
    assert.match(await row.innerText(), /HR service\s+Enabled[\s\S]*never\s+0/);
    await shot(admin, "accounts-created");

    // The HR officer signs in in another browser (context).
    const hrCtx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const hr = await hrCtx.newPage();
    watchErrors(hr, errors);
    await hr.goto(`${sys.url}/hr.html?lang=en`);
    await hr.getByRole("heading", { name: "Sign in to the HR service" }).waitFor({ timeout: 15000 });
    await hr.getByLabel("Username").fill("hr.e2e");
    await hr.getByLabel("Password").fill(hrPass);
    await hr.getByRole("button", { name: "Sign in" }).click();
    const open = hr.locator("table.competitions button[data-id]").first();
    await open.waitFor({ timeout: 15000 });
    await shot(hr, "accounts-hr-signed-in");

    // The administrator sees the login and the live session, then disables it.
    await admin.reload();
    await waitFor("hr.e2e's session in the list", async () => (await row.locator(".sessions").innerText()) === "1", 10000);
    assert.doesNotMatch(await row.innerText(), /never/);
    await row.getByRole("button", { name: "Disable" }).click();
    await waitFor("hr.e2e shown disabled", async () => (await row.getAttribute("data-disabled")) === "true", 10000);
    assert.match(await row.locator(".state").innerText(), new RegExp(`Disabled: .*by ${sys.demo.admin_user}`));
    assert.equal(await row.locator(".sessions").innerText(), "0");
    await shot(admin, "accounts-disabled");

    // The HR officer's next request is refused: back to the login, with why.
    const refusedCall = hr.waitForResponse((r: Response) => r.url().includes("/api/competitions/") && r.status() === 401);
    await open.click();
    const resp = await refusedCall;
    assert.equal(((await resp.json()) as { error: { code: string } }).error.code, "account_disabled");
    await hr.getByRole("heading", { name: "Sign in to the HR service" }).waitFor({ timeout: 10000 });
    assert.match(await hr.locator("#login-error").innerText(), /This account has been disabled by an administrator/);
    await shot(hr, "accounts-hr-refused");
    // Signing in again: the password is right, the account is disabled.
    await hr.getByLabel("Username").fill("hr.e2e");
    await hr.getByLabel("Password").fill(hrPass);
    await hr.locator("#login-error").evaluate((el) => (el.textContent = ""));
    await hr.getByRole("button", { name: "Sign in" }).click();
    await waitFor("the disabled reason at login", async () => /disabled by an administrator/.test(await hr.locator("#login-error").innerText()), 10000);

    // Enabled again, the same password works.
    await row.getByRole("button", { name: "Enable" }).click();
    await waitFor("hr.e2e enabled", async () => (await row.getAttribute("data-disabled")) === "false", 10000);
    await hr.getByRole("button", { name: "Sign in" }).click();
    await hr.locator("table.competitions button[data-id]").first().waitFor({ timeout: 15000 });

    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await sys.stop();
  }
});
