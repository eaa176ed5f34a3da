import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../src/cli/main.js";
import { EXAMPLE_FILES } from "../../src/cli/templates/index.js";
import { exampleScrubber } from "../../src/cli/templates/scrubber.js";
import { CREATE_TABLES } from "../../src/providers/local/shop-schema.js";
import { fakeIo } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { columnsOf } from "../helpers/shop.js";

const PATHS = ["config/drill.yaml", "scrubbers/shop.yaml", "drills/example.yaml"];
const read = (root: string, path: string) => readFile(join(root, path), "utf8");

describe("drill init", () => {
  it("scaffolds files that validate and plan as they are, with no environment variables", async () => {
    const root = await makeProject({});
    const init = fakeIo(root);
    expect(await main(["init"], init.io)).toBe(0);
    expect(EXAMPLE_FILES.map((f) => f.path)).toEqual(PATHS);
    for (const f of EXAMPLE_FILES) expect(await read(root, f.path)).toBe(f.text);
    expect(init.out().split("\n").slice(0, 3)).toEqual([
      "wrote config/drill.yaml    environments (a local sandbox), run history, channels",
      "wrote scrubbers/shop.yaml  how every column of the sandbox shop is made safe",
      "wrote drills/example.yaml  restore, scrub, verify and fail over the sandbox shop",
    ]);
    expect(init.out()).toContain("drill validate");
    expect(init.out()).toContain("drill run example");
    expect(init.err()).toBe("");

    const validate = fakeIo(root);
    expect(await main(["validate"], validate.io)).toBe(0);
    expect([validate.out(), validate.err()]).toEqual([
      "ok: 1 drill, 1 scrubber, 1 config file\n",
      "",
    ]);

    // The plan resolves every step against the local provider without creating anything.
    const plan = fakeIo(root);
    expect(await main(["plan", "example", "--json"], plan.io)).toBe(0);
    const planned = JSON.parse(plan.out()) as { drill: string; steps: { kind: string }[] };
    expect(planned.drill).toBe("example");
    expect(planned.steps.map((s) => s.kind)).toEqual([
      "restore",
      "scrub",
      "verify",
      "failover",
      "cleanup",
    ]);
    expect(existsSync(join(root, ".drill"))).toBe(false);
  });

  it("refuses with one line naming the files when any exists, and writes nothing", async () => {
    const mine = "environments: { sandbox: { provider: local } }\n";
    const root = await makeProject({ "config/drill.yaml": mine });
    const f = fakeIo(root);
    expect(await main(["init"], f.io)).toBe(2);
    expect(f.err()).toBe(
      "drill init: config/drill.yaml already exists; nothing was written (--force overwrites)\n",
    );
    expect(f.out()).toBe("");
    expect(await read(root, "config/drill.yaml")).toBe(mine);
    expect(existsSync(join(root, "drills"))).toBe(false);
    expect(existsSync(join(root, "scrubbers"))).toBe(false);

    // A second init over a full scaffold names all three and leaves an edited file as it was.
    const full = await makeProject({});
    expect(await main(["init"], fakeIo(full).io)).toBe(0);
    await writeFile(join(full, "drills/example.yaml"), "# mine\n");
    const again = fakeIo(full);
    expect(await main(["init"], again.io)).toBe(2);
    expect(again.err()).toBe(
      `drill init: ${PATHS.join(", ")} already exist; nothing was written (--force overwrites)\n`,
    );
    expect(await read(full, "drills/example.yaml")).toBe("# mine\n");
  });

  it("overwrites with --force", async () => {
    const root = await makeProject({
      "drills/example.yaml": "# mine\n",
      "drills/other.yaml": "# untouched\n",
    });
    const f = fakeIo(root);
    expect(await main(["init", "--force"], f.io)).toBe(0);
    for (const file of EXAMPLE_FILES) expect(await read(root, file.path)).toBe(file.text);
    expect(await read(root, "drills/other.yaml")).toBe("# untouched\n");
  });

  it("classifies every column of the sandbox shop in the example scrubber", () => {
    // With unknownColumns: fail, a column the sandbox gains must be added to the example too.
    const shop = columnsOf(CREATE_TABLES);
    const scrubber = parse(exampleScrubber.text) as { tables: Record<string, object> };
    const classified = Object.fromEntries(
      Object.entries(scrubber.tables).map(([t, columns]) => [t, Object.keys(columns)]),
    );
    expect(Object.keys(shop)).toHaveLength(4);
    expect(classified).toEqual(shop);
  });
});
