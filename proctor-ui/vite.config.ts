import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// Two pages: the staff app (index.html) and the candidate's page
// (candidate.html). The server embeds dist/ into its binary.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL("index.html", import.meta.url)),
        candidate: fileURLToPath(new URL("candidate.html", import.meta.url)),
      },
    },
  },
});
