import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// The pages: the staff app (index.html), the candidate's page
// (candidate.html), the auditor's replay (replay.html) and the candidate's
// cabinet (cabinet.html), HR's screens (hr.html) and the
// administrators' accounts screen (accounts.html), and the join link's
// page (join.html, served at /join) that tells how to start the agent. The server embeds dist/ into its binary.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL("index.html", import.meta.url)),
        candidate: fileURLToPath(new URL("candidate.html", import.meta.url)),
        replay: fileURLToPath(new URL("replay.html", import.meta.url)),
        cabinet: fileURLToPath(new URL("cabinet.html", import.meta.url)),
        hr: fileURLToPath(new URL("hr.html", import.meta.url)),
        accounts: fileURLToPath(new URL("accounts.html", import.meta.url)),
        grading: fileURLToPath(new URL("grading.html", import.meta.url)),
        join: fileURLToPath(new URL("join.html", import.meta.url)),
      },
    },
  },
});
