// Starts the real kuzet-server and kuzet-agent binaries and a real headless
// Chromium, the way a proctor's morning starts, for the browser tests.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, readdirSync } from "node:fs";
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

/** Starts kuzet-server with the demo seed; extra flags come last and win. */
export async function startServer(extra: string[] = []): Promise<System> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "kuzet-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  const server = run(join(bin, "kuzet-server"), ["-listen", `127.0.0.1:${port}`, "-data", data, "-demo", "-heartbeat", "500ms", "-agent-lost", "3s", ...extra]);
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

/** Starts kuzet-agent. Unless consent is false, the candidate then agrees
 * to the consent notice as the page would (GET and POST /v1/consent with
 * the page link the agent printed), so capture starts. */
export function startAgent(sys: System, token: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}, consent = true): Proc {
  const p = run(join(bin, "kuzet-agent"), [
    "--server", sys.url, "--token", token, "--camera", "test", "--no-browser", "--lang", "en",
    "--data", mkdtempSync(join(tmpdir(), "kuzet-agent-")), "--width", "320", "--height", "240", ...extra,
  ], env);
  if (consent) {
    pageLink(p)
      .then((url) => giveConsent(url))
      .catch((e: unknown) => console.error(`the agent's consent: ${String(e)}\n${p.out()}`));
  }
  return p;
}

/** The candidate page's link the agent printed once it joined. */
export async function pageLink(p: Proc, ms = 30000): Promise<string> {
  let url = "";
  await waitFor("the agent's page link", () => {
    url = /(https?:\/\/\S+\/candidate\.html#\S+)/.exec(p.out())?.[1] ?? "";
    return url !== "" || p.child.exitCode !== null;
  }, ms);
  if (!url) throw new Error(`the agent exited before it printed its page link:\n${p.out()}`);
  return url;
}

/** Answers the consent notice for the page at url, as the page does. */
export async function giveConsent(url: string, given = true, lang = "en"): Promise<void> {
  const u = new URL(url);
  const token = new URLSearchParams(u.hash.slice(1)).get("t") ?? "";
  const auth = { Authorization: `Bearer ${token}` };
  const view = await fetch(`${u.origin}/v1/consent`, { headers: auth });
  if (!view.ok) throw new Error(`GET /v1/consent: ${view.status} ${await view.text()}`);
  const { notice } = (await view.json()) as { notice: { digest: string } };
  const r = await fetch(`${u.origin}/v1/consent`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ given, notice: notice.digest, lang }) });
  if (!r.ok) throw new Error(`POST /v1/consent: ${r.status} ${await r.text()}`);
}

/** Starts an agent for a candidate sitting in front of the camera:
 * synthetic footage of a face (kuzet-footage), no microphone, no checks. */
export function seatedAgent(sys: System, token: string): Proc {
  const footage = join(mkdtempSync(join(tmpdir(), "kuzet-footage-")), "seat.y4m");
  const gen = spawnSync(join(bin, "kuzet-footage"), ["-o", footage, "-size", "320x240", "-fps", "10", "-scene", "face:600s"], { encoding: "utf8" });
  if (gen.status !== 0) throw new Error(`kuzet-footage failed:\n${gen.stdout}${gen.stderr}`);
  return startAgent(sys, token, ["--camera", `file:${footage}`, "--mic", "none", "--no-checks", "--width", "320", "--height", "240"]);
}

export interface Display {
  /** The DISPLAY value, such as ":3". */
  name: string;
  proc: Proc;
}

/** Starts a real X server (Xvfb) on a free display number, for an agent
 * to capture its screen from. */
export async function startXvfb(size = "1280x720x24"): Promise<Display> {
  // -noreset: a desktop always has clients; without one Xvfb resets (and
  // blanks its screen) each time the last client disconnects.
  const child = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", size, "-nolisten", "tcp", "-noreset"], {
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  const proc: Proc = {
    child,
    out: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  const num = await new Promise<string>((ok, fail) => {
    let got = "";
    const t = setTimeout(() => fail(new Error(`Xvfb gave no display number in 15 s (is the xvfb package installed?):\n${out}`)), 15000);
    child.once("error", (e) => fail(new Error(`cannot start Xvfb (install the xvfb package): ${e.message}`)));
    fd3.on("data", (d: Buffer) => {
      got += d.toString();
      if (got.includes("\n")) {
        clearTimeout(t);
        ok(got.trim());
      }
    });
  });
  return { name: `:${num}`, proc };
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

// ---- dashboard tests (issue 7) ----

/** A staff member's JSON API client with their login cookie. */
export class Staff {
  private constructor(
    readonly url: string,
    private readonly cookie: string,
  ) {}

  static async login(sys: System, user: string, password: string): Promise<Staff> {
    const resp = await fetch(`${sys.url}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: user, password }),
    });
    if (!resp.ok) throw new Error(`login as ${user}: ${resp.status} ${await resp.text()}`);
    const cookie = (resp.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    return new Staff(sys.url, cookie);
  }

  /** Sends a request; returns the status and the decoded body. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const resp = await fetch(`${this.url}${path}`, {
      method,
      headers: { Cookie: this.cookie, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: resp.status, body: (await resp.json().catch(() => ({}))) as T };
  }

  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.call<T>(method, path, body);
    if (Math.floor(r.status / 100) !== 2) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

export interface NewSitting {
  id: string;
  pin: string;
  token: string;
}

/** Creates n sittings of the demo competition as the demo administrator
 * and assigns them to the given proctors (usernames). */
export async function createSittings(sys: System, n: number, proctors: string[] = []): Promise<NewSitting[]> {
  const admin = await Staff.login(sys, sys.demo.admin_user, sys.demo.admin_password);
  const competition = (JSON.parse(readFileSync(join(sys.data, "demo.json"), "utf8")) as { competition: string }).competition;
  const out: NewSitting[] = [];
  for (let i = 0; i < n; i++) {
    const s = await admin.ok<NewSitting>("POST", "/api/sittings", { competition, stage: "essay" });
    if (proctors.length) await admin.ok("PUT", `/api/sittings/${s.id}/proctors`, { proctors });
    out.push(s);
  }
  return out;
}

/** The flags a real agent needs to run many at once on two cores: a small
 * camera (its thumbnail is the camera itself) at 14 fps, so the grid's
 * thumbnail layer runs at 7 fps (every second frame); no system checks and
 * no microphone. */
export const lightAgent = ["--width", "160", "--height", "120", "--fps", "14", "--no-checks", "--mic", "none"];

export async function loginAs(page: Page, sys: System, user: string, password: string, query = ""): Promise<void> {
  await page.goto(`${sys.url}/?lang=en${query}`);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Frames decoded so far per sitting, over the grid's watching connections. */
export async function framesBySitting(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const out: Record<string, number> = {};
    const w = window as unknown as { kuzet?: { dashboard: { tiles: Map<string, { watch: { pc: RTCPeerConnection | null } | null }> } } };
    for (const [id, tile] of w.kuzet?.dashboard.tiles ?? []) {
      const pc = tile.watch?.pc;
      if (!pc) continue;
      const stats = await pc.getStats();
      stats.forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
        if (s.type === "inbound-rtp" && s.kind === "video") out[id] = (out[id] ?? 0) + (s.framesDecoded ?? 0);
      });
    }
    return out;
  });
}

interface ProcInfo {
  ppid: number;
  comm: string;
  cpu: number;
}

/** Every process's parent, command name and CPU seconds (user + system). */
function processes(): Map<number, ProcInfo> {
  const hz = 100; // USER_HZ on Linux
  const out = new Map<number, ProcInfo>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(name), { ppid: Number(rest[1]), comm, cpu: (Number(rest[11]) + Number(rest[12])) / hz });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** CPU seconds of pid and its descendants that match (all when no filter). */
function subtreeCPU(root: number, match?: (p: ProcInfo) => boolean): number {
  const procs = processes();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let total = 0;
  const walk = (pid: number): void => {
    const p = procs.get(pid);
    if (p && (!match || match(p))) total += p.cpu;
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return total;
}

/** The Chromium processes this test run started directly (one per launch). */
export function chromiumRoots(): number[] {
  const out: number[] = [];
  for (const [pid, p] of processes()) if (p.ppid === process.pid && /chrom/i.test(p.comm)) out.push(pid);
  return out;
}

/** CPU seconds so far of every Chromium process this test run started. */
export function chromiumCPU(): number {
  return subtreeCPU(process.pid, (p) => /chrom/i.test(p.comm));
}

/** CPU seconds (user + system) of a process and its descendants. */
export function treeCPU(pid: number): number {
  return subtreeCPU(pid);
}

/** Runs axe-core over the page for WCAG 2.1 A and AA and fails naming
 * every violation (rule, impact, the elements). what names the page. */
export async function axe(page: Page, what: string): Promise<void> {
  const src = readFileSync(join(repo, "proctor-ui", "node_modules", "axe-core", "axe.min.js"), "utf8");
  // Evaluated over the DevTools protocol, which the page's CSP does not block.
  await page.evaluate(src);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } };
    const r = await w.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  if (violations.length) throw new Error(`axe-core found ${violations.length} WCAG 2.1 AA violations on ${what}:\n${violations.join("\n")}`);
}
