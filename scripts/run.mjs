// `node scripts/run.mjs <file.ts>`: calls the TypeScript module's `main()`, loaded through Vite's
// module runner (the same TypeScript handling the tests get), so generated files are written by
// the code that renders them without a build or another TypeScript runner.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runnerImport } from "vite";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const file = process.argv[2];
if (!file) throw new Error("usage: node scripts/run.mjs <file.ts>");
const { module } = await runnerImport(resolve(root, file), {
  root,
  configFile: false,
  logLevel: "error",
});
await module.main(root);
