// Starts the real kuzet-server and kuzet-agent binaries and a real headless
// Chromium, the way a proctor's morning starts, for the browser tests.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const repo = resolve(import.meta.dirname, "..", "..");
export const bin = process.env.KUZET_BIN ?? join(repo, "bin");
export const shots = join(repo, "proctor-ui", "test-results");
mkdirSync(shots, { recursive: true });

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  out: () => string;
  stop: () => Promise<number | null>;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  return {
    child,
    out: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 15000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface Demo {
  proctor_user: string;
  proctor_password: string;
  admin_user: string;
  admin_password: string;
  sitting_id: string;
  pin: string;
  sitting_token: string;
}

export interface System {
  url: string;
  data: string;
  demo: Demo;
  server: Proc;
  stop: () => Promise<void>;
}

export async function startServer(): Promise<System> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "kuzet-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  const server = run(join(bin, "kuzet-server"), ["-listen", `127.0.0.1:${port}`, "-data", data, "-demo", "-heartbeat", "500ms", "-agent-lost", "3s"]);
  await waitFor("kuzet-server /healthz", async () => {
    try {
      return (await fetch(`${url}/healthz`)).ok;
    } catch {
      return false;
    }
  });
  const demo = JSON.parse(readFileSync(join(data, "demo.json"), "utf8")) as Demo;
  return {
    url,
    data,
    demo,
    server,
    stop: async () => {
      // SIGTERM must shut down cleanly: peers and the store closed, exit 0.
      const code = await server.stop();
      if (code !== 0) throw new Error(`kuzet-server exited with ${code} on SIGTERM:\n${server.out()}`);
    },
  };
}

export function startAgent(sys: System, token: string, extra: string[] = []): Proc {
  return run(join(bin, "kuzet-agent"), [
    "--server", sys.url, "--token", token, "--camera", "test", "--no-browser", "--lang", "en",
    "--data", mkdtempSync(join(tmpdir(), "kuzet-agent-")), "--width", "320", "--height", "240", ...extra,
  ]);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.KUZET_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

export async function login(page: Page, sys: System): Promise<void> {
  await page.goto(`${sys.url}/?lang=en`);
  await page.getByLabel("Username").fill(sys.demo.proctor_user);
  await page.getByLabel("Password").fill(sys.demo.proctor_password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}
