import { describe, expect, it } from "vitest";
import { formatProblems, loadProject } from "../../src/definitions/project.js";
import { FIXTURES, VALID_CONFIG, VALID_DRILL } from "./helpers.js";
import { makeProject } from "../helpers/project.js";
import { join } from "node:path";

async function problems(
  files: Record<string, string | Uint8Array>,
  env: Record<string, string> = {},
  only?: string[],
) {
  const root = await makeProject(files);
  const r = await loadProject(root, env, only ? { only } : {});
  return r.ok ? [] : formatProblems(r.problems);
}

describe("loadProject", () => {
  it("loads a valid project: merged config, drills by name, scrubbers by stem", async () => {
    const env = {
      SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
      SCRUB_SECRET: "0123456789abcdef0123",
    };
    const r = await loadProject(join(FIXTURES, "good"), env);
    if (!r.ok) throw new Error(formatProblems(r.problems).join("\n"));
    expect([...r.project.drills.keys()].sort()).toEqual(["nightly", "quickstart"]);
    expect(r.project.drills.get("quickstart")!.file).toBe("drills/quickstart.yaml");
    expect(r.project.drills.get("quickstart")!.drill.objectives).toEqual({
      rto: 300_000,
      rpo: 93_600_000,
      regressions: "warn",
    });
    expect(r.project.scrubbers.get("orders")!.scrubber.secret).toBe("0123456789abcdef0123");
    expect(r.project.config.channels.team).toEqual({
      slack: { webhookUrl: env.SLACK_WEBHOOK_URL },
      on: "all",
    });
    expect(r.project.configFiles).toEqual(["config/drill.yaml"]);
  });

  it("uses default config when there is no config folder", async () => {
    const r = await loadProject(await makeProject({}), {});
    if (!r.ok) throw new Error("expected ok");
    expect(r.project.config).toEqual({
      environments: {},
      history: { store: "file", path: ".drill/history" },
      channels: {},
      daemon: {
        port: 9464,
        host: "127.0.0.1",
        maxConcurrent: 2,
        shutdownGrace: 300000,
        leaseTtl: 120000,
      },
      coverage: { maxAge: 35 * 86_400_000, every: 3_600_000 },
    });
    expect(r.project.drills.size).toBe(0);
  });

  it("reports every problem of every file at once, sorted, with line:col", async () => {
    const drill = VALID_DRILL.replace("objectives", "objectivs")
      .replace("min: 1000", 'min: "many"')
      .replace("- restore:", "- restor:");
    expect(
      await problems({
        "config/drill.yaml": VALID_CONFIG,
        "drills/quickstart.yaml": drill,
        "drills/other.yaml":
          "name: other\nenvironment: sandbox\nsteps:\n  - restore: { from: { snapshot: latest } }\n  - verify: { checks: [ { rowCont: { table: t } } ] }\n",
        "drills/broken.yaml": "name: broken\nsteps: [restore\n",
      }),
    ).toEqual([
      "drills/broken.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]",
      'drills/other.yaml:5:27 steps[1].verify.checks[0].rowCont: unknown check kind "rowCont" (known: rowCount, freshness, sql, canary, noOrphans, unique, notNull, constraints, amcheck, schema, command)',
      'drills/quickstart.yaml:3:1 objectivs: unknown key "objectivs" (allowed: name, description, controls, schedule, timezone, production, window, environment, showExamples, objectives, steps, notify)',
      'drills/quickstart.yaml:5:5 steps[0].restor: unknown step kind "restor" (known: restore, scrub, verify, failover, s3-restore, cleanup)',
      "drills/quickstart.yaml:8:43 steps[1].verify.checks[0].rowCount.min: expected number, got string",
    ]);
  });

  it("says which key is missing, at its parent", async () => {
    expect(
      await problems({
        "config/drill.yaml": VALID_CONFIG,
        "drills/x.yaml":
          "name: x\nenvironment: sandbox\nsteps:\n  - restore: { newestData: orders.created_at }\n",
      }),
    ).toEqual(['drills/x.yaml:4:14 steps[0].restore: missing required key "from"']);
  });

  it("checks names against config: environments and channels, listing the known ones", async () => {
    expect(
      await problems({
        "config/drill.yaml": `${VALID_CONFIG}channels:\n  team: { webhook: { url: "https://example.org/hook" } }\n`,
        "drills/quickstart.yaml": `${VALID_DRILL.replace("environment: sandbox", "environment: sandbx")}notify: [team, tema]\n`,
      }),
    ).toEqual([
      'drills/quickstart.yaml:2:14 environment: unknown environment "sandbx" (known: sandbox)',
      'drills/quickstart.yaml:10:16 notify[1]: unknown channel "tema" (known: team)',
    ]);
  });

  it("requires a drill's name to equal its file name", async () => {
    expect(
      await problems({ "config/drill.yaml": VALID_CONFIG, "drills/orders.yaml": VALID_DRILL }),
    ).toEqual([
      'drills/orders.yaml:1:7 name: name "quickstart" must equal the file name "orders" (drill run finds a drill by its file name)',
    ]);
  });

  it("rejects a name defined in two config files", async () => {
    expect(
      await problems({
        "config/a.yaml": VALID_CONFIG,
        "config/b.yml":
          "environments:\n  other: { provider: local }\n  sandbox: { provider: local }\nhistory: { store: file }\n",
        "config/c.yaml": "history: { store: file, path: x }\n",
      }),
    ).toEqual([
      'config/b.yml:3:3 environments.sandbox: environment "sandbox" is also defined in config/a.yaml',
      "config/c.yaml:1:1 history: history is also set in config/b.yml",
    ]);
  });

  it("keeps environment values out of messages, and names the variable that is missing", async () => {
    const secret = "Hunter2-Very-Secret-Token";
    const lines = await problems(
      {
        "config/drill.yaml": `${VALID_CONFIG}channels:\n  team: { slack: { webhookUrl: "\${SLACK_WEBHOOK_URL}" } }\n  ops: { teams: { webhookUrl: "\${TEAMS_URL}" } }\n`,
      },
      { TEAMS_URL: secret },
    );
    expect(lines).toEqual([
      "config/drill.yaml:3:32 channels.team.slack.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set",
    ]);
    const invalid = await problems(
      {
        "config/drill.yaml": `${VALID_CONFIG}channels:\n  ops: { teams: { webhookUrl: "\${TEAMS_URL}" } }\n`,
        "drills/quickstart.yaml": VALID_DRILL.replace(
          "environment: sandbox",
          "environment: ${DRILL_ENV}",
        ),
      },
      { TEAMS_URL: secret, DRILL_ENV: secret },
    );
    expect(invalid).toEqual([
      "config/drill.yaml:3:31 channels.ops.teams.webhookUrl: expected a URL",
      "drills/quickstart.yaml:2:14 environment: expected lowercase letters, digits, '-' or '_' (at most 63 characters)",
    ]);
    expect([...lines, ...invalid].join("\n")).not.toContain(secret);
  });

  it("shows an interpolated name as written in cross-file messages", async () => {
    expect(
      await problems(
        {
          "config/drill.yaml": VALID_CONFIG,
          "drills/quickstart.yaml": VALID_DRILL.replace(
            "environment: sandbox",
            "environment: ${DRILL_ENV}",
          ),
        },
        { DRILL_ENV: "staging-secret" },
      ),
    ).toEqual([
      'drills/quickstart.yaml:2:14 environment: unknown environment "${DRILL_ENV}" (known: sandbox)',
    ]);
  });

  it("reports the closest scrubber rule and refuses bad scrubber file names", async () => {
    expect(
      await problems({
        "scrubbers/orders.yaml":
          "tables:\n  customers:\n    a: { fake: bad }\n    b: { fak: x }\n    c: 5\n",
        "scrubbers/Bad Name.yaml": "tables: {}\n",
      }),
    ).toEqual([
      "scrubbers/Bad Name.yaml: a scrubber's file name is its name: lowercase letters, digits, '-' or '_'",
      'scrubbers/orders.yaml:3:16 tables.customers.a.fake: expected a faker method such as "person.fullName"',
      "scrubbers/orders.yaml:4:8 tables.customers.b: expected keep, null, or one of fake, hash, mask, set, shiftDate, template, text, each, json",
      "scrubbers/orders.yaml:5:8 tables.customers.c: expected keep, null, or one of fake, hash, mask, set, shiftDate, template, text, each, json",
    ]);
  });

  it("handles hostile files: empty, invalid UTF-8, over 1 MiB", async () => {
    expect(
      await problems({
        "config/drill.yaml": VALID_CONFIG,
        "drills/empty.yaml": "",
        "drills/latin1.yaml": Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]),
        "drills/huge.yaml": `name: huge\n#${"x".repeat(1024 * 1024)}\n`,
      }),
    ).toEqual([
      "drills/empty.yaml: file is empty",
      "drills/huge.yaml: file is larger than 1 MiB (1048589 bytes)",
      "drills/latin1.yaml:1:1: file is not valid UTF-8 text",
    ]);
  });

  describe("only", () => {
    const files = {
      "config/drill.yaml": VALID_CONFIG,
      "drills/quickstart.yaml": VALID_DRILL,
      "drills/broken.yaml": "name: broken\nobjectivs: {}\n",
      "elsewhere/solo.yaml": VALID_DRILL.replace("name: quickstart", "name: solo"),
    };

    it("loads only the named drills, so a broken unrelated drill does not block them", async () => {
      const root = await makeProject(files);
      const r = await loadProject(root, {}, { only: ["quickstart", "elsewhere/solo.yaml"] });
      if (!r.ok) throw new Error(formatProblems(r.problems).join("\n"));
      expect([...r.project.drills.entries()].map(([n, d]) => [n, d.file])).toEqual([
        ["quickstart", "drills/quickstart.yaml"],
        ["solo", "elsewhere/solo.yaml"],
      ]);
      const abs = await loadProject(root, {}, { only: [join(root, "drills/quickstart.yaml")] });
      expect(abs.ok && [...abs.project.drills.keys()]).toEqual(["quickstart"]);
    });

    it("reports unknown drill names and missing files", async () => {
      expect(await problems(files, {}, ["quickstar", "drills/nope.yaml"])).toEqual([
        'unknown drill "quickstar" (known: broken, quickstart)',
        "drills/nope.yaml: file not found",
      ]);
    });
  });
});
