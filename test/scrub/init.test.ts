import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { parseYaml } from "../../src/definitions/yaml.js";
import { parseWith } from "../../src/definitions/zod-issues.js";
import { scrubberSchema } from "../../src/definitions/scrubber.js";
import { runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { processesMatching } from "../local/util.js";

/** `drill scrubber init` end to end, in-process, against a small LocalProvider sandbox. */
const root = await makeProject({
  "config/drill.yaml": [
    "environments:",
    "  sandbox: { provider: local, postgres: embedded, scale: 0.02, backupInterval: 24h }",
    "",
  ].join("\n"),
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
  expect(processesMatching(root)).toEqual([]);
});

const drill = (...args: string[]) => runMain(args, root);

it("writes a draft listing every column, with personal data guessed and explained, and never overwrites it", async () => {
  const r = await drill("scrubber", "init", "sandbox", "--sample", "200");
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^wrote scrubbers\/sandbox\.yaml: \d+ columns in 4 tables/);
  const file = path.join(root, "scrubbers", "sandbox.yaml");
  const text = await fs.readFile(file, "utf8");

  // The draft is a valid scrubber once SCRUB_SECRET is set.
  const read = parseYaml(text, "scrubbers/sandbox.yaml", { SCRUB_SECRET: "s".repeat(20) });
  expect(read.ok).toBe(true);
  if (!read.ok) return;
  const parsed = parseWith(scrubberSchema, read.source);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  const tables = parsed.value.tables;
  expect(Object.keys(tables).sort()).toEqual(["customers", "order_items", "orders", "payments"]);
  expect(Object.keys(tables.customers!).sort()).toEqual(
    [
      "birth_date",
      "city",
      "country",
      "created_at",
      "email",
      "full_name",
      "id",
      "phone",
      "street_address",
    ].sort(),
  );
  expect(tables.customers).toMatchObject({
    id: "keep",
    email: { fake: "internet.email", unique: true },
    full_name: { fake: "person.fullName" },
    phone: { fake: "phone.number" },
    street_address: { fake: "location.streetAddress" },
    birth_date: { shiftDate: 90 * 86_400_000 },
    created_at: "keep",
  });
  expect(tables.orders).toMatchObject({ id: "keep", status: "keep", total: "keep" });
  expect(tables.order_items!.product_name).toBe("keep");
  expect(text).toMatch(
    /product_name: keep # name says a person.s name, but no sampled value looks like one/,
  );

  const line = (column: string) => text.split("\n").find((l) => l.startsWith(`    ${column}:`));
  expect(line("email")).toMatch(/# name says email; looks like emails \(sampled \d+ values\)$/);
  expect(line("street_address")).toMatch(/looks like street addresses \(sampled \d+ values\)$/);
  expect(line("birth_date")).toMatch(/looks like dates of birth/);
  expect(text).toMatch(/^secret: \$\{SCRUB_SECRET\}/m);

  // A second run refuses to overwrite, before restoring anything.
  const again = await drill("scrubber", "init", "sandbox");
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/scrubbers\/sandbox\.yaml already exists; refusing to overwrite it/);
  expect(await fs.readFile(file, "utf8")).toBe(text);
  // Nothing left running: the copy was disposed and the sandbox primary released.
  expect(processesMatching(root)).toEqual([]);
});

it("an unknown environment is bad input", async () => {
  const r = await drill("scrubber", "init", "nowhere");
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/unknown environment "nowhere" \(known: sandbox\)/);
});
