import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listCommand } from "../../src/cli/list.js";
import { schemaCommand } from "../../src/cli/schema.js";
import { validateCommand } from "../../src/cli/validate.js";
import { formatProblem } from "../../src/definitions/problems.js";
import { FIXTURES, VALID_CONFIG, VALID_DRILL } from "./helpers.js";
import { fakeIo } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";

const GOOD = join(FIXTURES, "good");
const ENV = {
  SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
  SCRUB_SECRET: "0123456789abcdef0123",
};

describe("formatProblem", () => {
  it("omits what is not known", () => {
    const base = {
      file: "drills/x.yaml",
      path: "steps[1].scrub.scrubber",
      message: 'unknown scrubber "orderz" (known: orders, users)',
    };
    expect(formatProblem({ ...base, line: 12, col: 5 })).toBe(
      'drills/x.yaml:12:5 steps[1].scrub.scrubber: unknown scrubber "orderz" (known: orders, users)',
    );
    expect(formatProblem({ ...base, path: "", line: 3 })).toBe(
      'drills/x.yaml:3: unknown scrubber "orderz" (known: orders, users)',
    );
    expect(formatProblem({ file: "", path: "", message: "m" })).toBe("m");
  });
});

describe("validateCommand", () => {
  it("says ok with counts on stdout", async () => {
    const f = fakeIo(GOOD, ENV);
    expect(await validateCommand([], f.io)).toBe(0);
    expect(f.out()).toBe("ok: 2 drills, 1 scrubber, 1 config file\n");
    expect(f.err()).toBe("");
  });

  it("prints one line per problem on stderr and exits 2", async () => {
    const f = fakeIo(GOOD, { SCRUB_SECRET: "0123456789abcdef0123" });
    expect(await validateCommand([], f.io)).toBe(2);
    expect(f.err()).toBe(
      "config/drill.yaml:4:32 channels.team.slack.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set\n",
    );
    expect(f.out()).toBe("");
  });

  it("validates only the files given, by folder", async () => {
    const root = await makeProject({
      "config/drill.yaml": VALID_CONFIG,
      "drills/quickstart.yaml": VALID_DRILL,
      "drills/broken.yaml": "name: broken\n",
      "other/solo.yaml": VALID_DRILL.replace("name: quickstart", "name: solo"),
    });
    const f = fakeIo(root);
    expect(
      await validateCommand(
        ["drills/quickstart.yaml", join(root, "other/solo.yaml"), "config/drill.yaml"],
        f.io,
      ),
    ).toBe(0);
    expect(f.out()).toBe("ok: 2 drills, 0 scrubbers, 1 config file\n");
    const g = fakeIo(root);
    expect(await validateCommand(["drills/broken.yaml", "scrubbers/nope.yaml"], g.io)).toBe(2);
    expect(g.err()).toBe(
      'drills/broken.yaml:1:1: missing required key "environment"\ndrills/broken.yaml:1:1: missing required key "steps"\n',
    );
    const h = fakeIo(root);
    expect(await validateCommand(["scrubbers/nope.yaml"], h.io)).toBe(2);
    expect(h.err()).toBe("scrubbers/nope.yaml: file not found (or not a .yaml/.yml file)\n");
  });
});

describe("listCommand", () => {
  it("prints a table with cleanup always last and the last outcome", async () => {
    const f = fakeIo(GOOD, ENV);
    const lastOutcome = async (_p: unknown, d: string) =>
      d === "quickstart" ? "passed" : undefined;
    expect(await listCommand(f.io, { lastOutcome })).toBe(0);
    expect(f.out()).toBe(
      [
        "NAME        ENVIRONMENT  SCHEDULE   STEPS                       LAST",
        "nightly     sandbox      0 4 * * 1  restore → cleanup           -",
        "quickstart  sandbox      -          restore → verify → cleanup  passed",
        "",
      ].join("\n"),
    );
  });

  it("prints JSON with --json", async () => {
    const f = fakeIo(GOOD, ENV);
    expect(await listCommand(f.io, { json: true })).toBe(0);
    expect(JSON.parse(f.out())).toEqual([
      {
        name: "nightly",
        file: "drills/nightly.yaml",
        environment: "sandbox",
        schedule: "0 4 * * 1",
        steps: ["restore", "cleanup"],
        lastOutcome: null,
      },
      {
        name: "quickstart",
        file: "drills/quickstart.yaml",
        environment: "sandbox",
        schedule: null,
        steps: ["restore", "verify", "cleanup"],
        lastOutcome: null,
      },
    ]);
  });

  it("exits 2 with the problems when the project is invalid, reading only scrubbers in use", async () => {
    const f = fakeIo(GOOD, {});
    expect(await listCommand(f.io, {})).toBe(2);
    // scrubbers/orders.yaml lacks SCRUB_SECRET too, but no drill scrubs: list does not read it.
    expect(f.err()).toBe(
      "config/drill.yaml:4:32 channels.team.slack.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set\n",
    );
  });
});

describe("schemaCommand", () => {
  it("prints all three schemas, or one", async () => {
    const f = fakeIo(GOOD);
    expect(await schemaCommand(f.io, {})).toBe(0);
    expect(Object.keys(JSON.parse(f.out()))).toEqual(["drill", "scrubber", "config"]);
    const g = fakeIo(GOOD);
    expect(await schemaCommand(g.io, { kind: "config" })).toBe(0);
    expect(JSON.parse(g.out()).$id).toBe("https://drill.dev/schema/config.schema.json");
  });

  it("writes schema/*.schema.json under the cwd", async () => {
    const root = await makeProject({});
    const f = fakeIo(root);
    expect(await schemaCommand(f.io, { write: true })).toBe(0);
    expect(f.out()).toBe(
      "wrote schema/drill.schema.json\nwrote schema/scrubber.schema.json\nwrote schema/config.schema.json\n",
    );
    const drill = JSON.parse(await readFile(join(root, "schema/drill.schema.json"), "utf8"));
    expect(drill.required).toEqual(["name", "environment", "steps"]);
    // Durations are strings as written; interpolated strings are allowed where a pattern applies.
    expect(drill.properties.objectives.properties.rto.anyOf[0]).toMatchObject({ type: "string" });
    expect(drill.properties.objectives.properties.rto.anyOf[1]).toEqual({
      type: "string",
      pattern: "\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}",
    });
  });
});
