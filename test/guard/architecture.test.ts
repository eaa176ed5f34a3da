import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/project.js";
import { tempDir } from "../helpers/temp.js";
import { offences, sources } from "./sources.js";

const DEPCRUISE = join(REPO, "node_modules", ".bin", "depcruise");
const RULES = join(REPO, ".dependency-cruiser.json");

/**
 * `npm run architecture`'s command in `cwd`: its exit code (the number of errors) and each
 * violation as `rule: importer → imported` (a cycle: its first step).
 */
async function depcruise(cwd: string): Promise<{ code: number; violations: string[] }> {
  const { code, stdout } = await promisify(execFile)(DEPCRUISE, ["src", "--config", RULES], {
    cwd,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => e,
  );
  const found = [...stdout.matchAll(/^\s*error (\S+): (\S+) → *\n?\s*(\S+)/gm)];
  return { code, violations: found.map(([, rule, from, to]) => `${rule}: ${from} → ${to}`).sort() };
}

/** A tree breaking each rule once, beside imports the rules allow. */
const PLANTED: Record<string, string> = {
  "src/providers/types.ts": "export interface Provider { name: string }",
  "src/providers/local/provider.ts": "export const local = 1;",
  "src/steps/restore.ts": "export const restore = 1;",
  // Allowed: the contract. Broken: a provider's own module.
  "src/steps/planted.ts": `import type { Provider } from "../providers/types.js";
import { local } from "../providers/local/provider.js";
export const p = (x: Provider) => [x, local];`,
  "src/providers/aws/source.ts": `import { restore } from "../../steps/restore.js";
export const s = restore;`,
  // A runtime cycle (reported once); and two that close only through type-only imports (left out).
  "src/scrub/a.ts": `import { b } from "./b.js";\nexport const a = () => b;`,
  "src/scrub/b.ts": `import { a } from "./a.js";\nexport const b = () => a;`,
  "src/scrub/c.ts": `import type { D } from "./d.js";\nexport interface C { d?: D }`,
  "src/scrub/d.ts": `import type { C } from "./c.js";\nexport interface D { c?: C }`,
  "src/scrub/e.ts": `import { f } from "./f.js";\nexport const e = () => f;`,
  "src/scrub/f.ts": `import type { E } from "./g.js";\nexport const f = (x: E) => x;`,
  "src/scrub/g.ts": `import type { e } from "./e.js";\nexport type E = typeof e;`,
  "src/engine/runner.ts": `import { d } from "../daemon/daemon.js";\nexport const run = d;`,
  "src/daemon/daemon.ts": "export const d = 1;",
  "src/cli/main.ts": `import { run } from "../engine/runner.js";\nexport const main = run;`,
  "src/docs/commands.ts": `import { main } from "../cli/main.js";\nexport const c = main;`,
  "src/definitions/planted.ts": `import { run } from "../engine/runner.js";\nexport const x = run;`,
  "src/history/planted.ts": `import { main } from "../cli/main.js";\nexport const h = main;`,
  "tsconfig.json": JSON.stringify({
    compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true },
    include: ["src"],
  }),
};

describe("architecture (dependency-cruiser, .dependency-cruiser.json)", () => {
  it("fails on a tree that breaks each rule, naming every broken import and no allowed one", async () => {
    const root = await tempDir("architecture");
    for (const [file, text] of Object.entries(PLANTED)) {
      await mkdir(dirname(join(root, file)), { recursive: true });
      await writeFile(join(root, file), `${text}\n`);
    }
    const { code, violations } = await depcruise(root);
    expect(violations).toEqual([
      "engine-below-entry-points: src/engine/runner.ts → src/daemon/daemon.ts",
      "no-runtime-cycle: src/scrub/a.ts → src/scrub/b.ts",
      "only-docs-read-the-cli: src/history/planted.ts → src/cli/main.ts",
      "only-entry-points-run-drills: src/definitions/planted.ts → src/engine/runner.ts",
      "providers-not-steps: src/providers/aws/source.ts → src/steps/restore.ts",
      "steps-see-the-provider-contract: src/steps/planted.ts → src/providers/local/provider.ts",
    ]);
    expect(code).toBe(violations.length);
  });

  it("holds for src/", async () => {
    expect(await depcruise(REPO)).toEqual({ code: 0, violations: [] });
  });

  it("providers are composed plainly: no `new Proxy` in src/", () => {
    const planted = [{ file: "src/x.ts", text: "ok\nreturn new Proxy(inner, {});" }];
    expect(offences(planted, /\bnew Proxy\(/)).toEqual(["src/x.ts:2"]);
    expect(offences(sources(), /\bnew Proxy\(/)).toEqual([]);
  });
});
