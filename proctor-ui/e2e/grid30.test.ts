// Thirty live tiles in one browser tab, each decoding its camera at the
// thumbnail layer at 5 frames per second or more (getStats). Five sittings
// have real agents on synthetic cameras; twenty-five have synthetic publishers
// on the same agent channel, because thirty real agents (camera analysis
// and all) take 1.6 of this machine's 2 cores before the browser gets any
// (docs/bench/dashboard.md).

import { test } from "node:test";
import assert from "node:assert/strict";
import { shot } from "./harness.js";
import { describe, measureGrid, startGrid } from "./grid.js";

test("30 tiles all decode frames at 5 fps or more each", { timeout: 600000 }, async () => {
  const run = await startGrid(30, { real: 5 });
  try {
    const m = await measureGrid(run, 10);
    console.log(describe(m));
    assert.equal(m.tiles, 30, "not every tile is watching");
    assert.equal(m.layers["thumb"], 30, `the grid watches ${JSON.stringify(m.layers)}, not the thumbnail layer`);
    const slow = m.fps.filter((f) => f < 5);
    assert.equal(slow.length, 0, `tiles under 5 fps: ${slow.map((f) => f.toFixed(2)).join(", ")}`);
    await shot(run.page, "dashboard-30-tiles");
  } finally {
    await run.stop();
  }
});
