import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkKinds } from "../../src/checks/registry.js";
import {
  REFERENCE_COMMAND,
  REFERENCE_FILE,
  referenceMarkdown,
  undocumented,
} from "../../src/docs/reference.js";
import { stepKinds } from "../../src/steps/registry.js";

const FILE = join(dirname(fileURLToPath(import.meta.url)), "../..", REFERENCE_FILE);

describe("docs/reference.md", () => {
  const generated = referenceMarkdown();

  it(`matches the schemas and the command tree (\`${REFERENCE_COMMAND}\` rewrites it)`, async () => {
    const committed = await readFile(FILE, "utf8").catch(() => "(missing)");
    expect(
      committed === generated,
      `${REFERENCE_FILE} is out of date: run \`${REFERENCE_COMMAND}\``,
    ).toBe(true);
  });

  it("describes every step, check, transformer, config key, command and option", () => {
    // Each line names what lacks a `.meta({ description })` (or a commander description).
    expect(undocumented()).toEqual([]);
  });

  it("has a section for every command, step kind, check kind and transformer", () => {
    const headings = new Set(generated.split("\n").filter((l) => l.startsWith("### ")));
    const expected = [
      ...["init", "run", "plan", "validate", "report", "daemon", "cleanup", "scrubber init"].map(
        (c) => `### drill ${c}`,
      ),
      ...Object.keys(stepKinds).map((k) => `### \`${k}\``),
      ...Object.keys(checkKinds).map((k) => `### \`${k}\``),
      ...[
        "keep",
        "null",
        "fake",
        "hash",
        "mask",
        "set",
        "shiftDate",
        "template",
        "text",
        "json",
      ].map((t) => `### \`${t}\``),
      "### `environments.<name>` with `provider: aws`",
      "### `history` with `store: postgres`",
    ];
    expect(expected.filter((h) => !headings.has(h))).toEqual([]);
  });

  it("lists keys with their type, default and allowed values", () => {
    const row = (key: string) => generated.split("\n").find((l) => l.startsWith(`| \`${key}\` |`));
    expect(row("environments.<name>.staging.instanceClass")).toMatch(/\| string \| yes \|/);
    expect(row("daemon.port")).toContain("| integer, ≥ 0, ≤ 65535 |  | `9464` |");
    expect(row("mode")).toContain("`crash` \\| `switchover`");
    expect(row("--limit <n>")).toContain("| `20` |");
  });
});
