// The dashboard's grid benchmark: for each N given, N live sittings with
// real agents on synthetic cameras and one proctor's dashboard in one
// headless Chromium tab; prints frames decoded per second per tile and the
// CPU of the browser, the server and the agents.
//
//   npm run build && go build -o bin/ ./server/cmd/... ./agent/cmd/...
//   cd proctor-ui && npx tsc -p e2e/tsconfig.json && node e2e-dist/bench-grid.js 30 50
//
// KUZET_BENCH_SECONDS sets the window (default 20); KUZET_BENCH_REAL how
// many sittings get a real kuzet-agent (default all; the rest get the
// synthetic publishers of publishers.ts); KUZET_BENCH_AGENT the agents'
// extra flags (default: lightAgent in harness.ts).

import { shot, lightAgent } from "./harness.js";
import { describe, measureGrid, startGrid } from "./grid.js";

const seconds = Number(process.env["KUZET_BENCH_SECONDS"] ?? "20");
const agentArgs = process.env["KUZET_BENCH_AGENT"]?.split(" ").filter(Boolean) ?? lightAgent;
const realEnv = process.env["KUZET_BENCH_REAL"];
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const n of sizes.length ? sizes : [30, 50]) {
  const run = await startGrid(n, { agentArgs, real: realEnv === undefined ? n : Number(realEnv) });
  try {
    await new Promise((r) => setTimeout(r, 5000)); // warm-up
    const m = await measureGrid(run, seconds);
    console.log(describe(m));
    console.log(`fps per tile: ${m.fps.map((f) => f.toFixed(1)).join(" ")}`);
    console.log(`(${run.agents.length} real agents, ${n - run.agents.length} synthetic publishers)`);
    await shot(run.page, `bench-grid-${n}`);
  } finally {
    await run.stop();
  }
}
