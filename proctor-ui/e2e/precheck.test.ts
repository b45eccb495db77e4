// The pre-check as the candidate sees it (issue 13), with real violations
// present: a running x11vnc serving an X display (rule 10.9) and a
// PulseAudio headset sink (rule 10.10) on a private PulseAudio daemon. The
// candidate page shows each rule with what was found and what to do; when
// the candidate stops x11vnc and the headset goes, the rows clear by
// themselves and the page says the computer is ready.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSittings, freePort, giveConsent, launch, pageLink, run, shot, startAgent, startServer, startXvfb, waitFor, type Proc } from "./harness.js";

/** A PulseAudio daemon of its own, with no sinks, in a private runtime dir. */
async function pulse(): Promise<{ env: NodeJS.ProcessEnv; proc: Proc; dir: string; pactl: (...args: string[]) => string }> {
  const dir = mkdtempSync(join(tmpdir(), "pa"));
  const env: NodeJS.ProcessEnv = { XDG_RUNTIME_DIR: dir, HOME: dir, LC_ALL: "C" };
  const clean = { ...process.env, ...env };
  delete clean["PULSE_SERVER"];
  const proc = run("pulseaudio", ["--daemonize=no", "-n", "--exit-idle-time=-1", "--disable-shm=yes", "--use-pid-file=no", "--log-target=stderr", "-L", "module-native-protocol-unix"], env);
  const pactl = (...args: string[]): string => {
    const r = spawnSync("pactl", args, { env: clean, encoding: "utf8", timeout: 10000 });
    if (r.status !== 0) throw new Error(`pactl ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  await waitFor("pulseaudio", () => {
    try {
      pactl("info");
      return true;
    } catch {
      return false;
    }
  }, 15000);
  return { env, proc, dir, pactl };
}

async function listening(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(port, "127.0.0.1", () => {
      s.destroy();
      ok(true);
    });
    s.on("error", () => ok(false));
  });
}

test("the pre-check shows a running x11vnc and a headset with their fixes, and clears when they go", { timeout: 150000 }, async () => {
  const sys = await startServer();
  const display = await startXvfb("640x480x24");
  const pa = await pulse();
  const port = await freePort();
  const vnc = run("x11vnc", ["-display", display.name, "-rfbport", String(port), "-localhost", "-forever", "-shared", "-nopw", "-quiet", "-noxdamage"]);
  await waitFor("x11vnc listening", () => listening(port), 15000);
  // The computer's speakers, and a headset plugged in beside them.
  pa.pactl("load-module", "module-null-sink", "sink_name=speakers", "sink_properties=device.form_factor=speaker");
  const sink = pa.pactl("load-module", "module-null-sink", "sink_name=headset", "sink_properties=device.form_factor=headset");
  const [sitting] = await createSittings(sys, 1);
  const env: NodeJS.ProcessEnv = { ...pa.env, DISPLAY: display.name };
  const agent = startAgent(sys, sitting!.token, ["--mic", "none", "--screen=false"], env, false);
  const browser = await launch();
  const errors: string[] = [];
  try {
    const link = await pageLink(agent);
    await giveConsent(link);
    const page = await browser.newPage({ viewport: { width: 1000, height: 1000 } });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(link);
    const row = (rule: string) => page.locator(`#checks li[data-rule="${rule}"]`);

    // Both violations, each with what was found and what to do.
    await waitFor("x11vnc found", async () => (await row("10.9").getAttribute("data-state")) === "problem", 30000);
    await waitFor("the headset found", async () => (await row("10.10").getAttribute("data-state")) === "problem", 30000);
    assert.match(await row("10.9").innerText(), /x11vnc/);
    assert.match(await row("10.9").locator(".check-fix").innerText(), /\S/);
    assert.match(await row("10.10").locator(".check-fix").innerText(), /\S/);
    assert.match(await page.locator("#checks-summary").innerText(), /^Fix the problems above/);
    await page.locator("#checks").scrollIntoViewIfNeeded();
    await shot(page, "precheck-problems");

    // The candidate closes x11vnc and unplugs the headset: the rows clear.
    await vnc.stop();
    await waitFor("10.9 clear", async () => ["ok", "partial"].includes((await row("10.9").getAttribute("data-state")) ?? ""), 30000);
    assert.equal(await row("10.10").getAttribute("data-state"), "problem", "the headset is still plugged in");
    pa.pactl("unload-module", sink);
    await waitFor("10.10 clear", async () => ["ok", "partial"].includes((await row("10.10").getAttribute("data-state")) ?? ""), 30000).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: ${await row("10.10").innerText()}\n${await page.locator("#events").innerText().catch(() => "")}`);
    });
    await waitFor("ready", async () => (await page.locator("#checks-summary").innerText()) === "Your computer is ready: you can start the stage.", 30000);
    await shot(page, "precheck-ready");

    // In Kazakh too.
    await page.locator('nav.langs button[data-lang="kk"]').click();
    await page.getByRole("heading", { name: "Компьютеріңізді тексеру" }).waitFor({ timeout: 5000 });
    assert.equal(await page.locator("#checks-summary").innerText(), "Компьютеріңіз дайын: кезеңді бастауға болады.");
    await shot(page, "precheck-ready-kk");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await agent.stop();
    await vnc.stop();
    await pa.proc.stop();
    await display.proc.stop();
    rmSync(pa.dir, { recursive: true, force: true });
    await sys.stop();
  }
});
