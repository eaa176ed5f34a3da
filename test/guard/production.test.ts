/**
 * The production guard, one test per mutating operation, collected in one place (some repeat an
 * older test on purpose): nothing writes to a production target unless the drill is a
 * production failover drill with its confirmations.
 *
 * - restore onto production (AWS): refused, nothing created
 * - scrub / verify: only ever the run's restored copy (`ctx.target`); without a restore, refused
 *   by the drill schema and by the steps themselves, the provider untouched
 * - failover of production: needs `production: true`, then `--confirm-production` (CLI, exit 2,
 *   nothing created), or the daemon inside the drill's window
 * - modify / delete (AWS): only resources tagged by this run, never production
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  DeleteDBInstanceCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from "@aws-sdk/client-rds";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/validate.js";
import { parseYaml } from "../../src/definitions/yaml.js";
import { drillSchema } from "../../src/definitions/drill.js";
import { parseWith } from "../../src/definitions/zod-issues.js";
import { DrillError } from "../../src/errors.js";
import { failoverSafety } from "../../src/failover/safety.js";
import { createLogger } from "../../src/log.js";
import { assertOwned, stagingIdentifier } from "../../src/providers/aws/guard.js";
import type { Provider } from "../../src/providers/types.js";
import { failover } from "../../src/steps/failover.js";
import { scrub } from "../../src/steps/scrub.js";
import type { StepContext, Target } from "../../src/steps/types.js";
import { verify } from "../../src/steps/verify.js";
import { awsEnv, fakeRds, makeProvider, restoreOpts } from "../aws/fake-rds.js";
import { fakeIo } from "../helpers/io.js";
import { makeProject, runCli } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";

const RUN = "20261128-163012-orders-restore-3f9a";
const ID = stagingIdentifier(RUN);

async function drillErrorOf(p: Promise<unknown>): Promise<DrillError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DrillError);
  return e as DrillError;
}

describe("restore onto production (AWS)", () => {
  let rds: ReturnType<typeof fakeRds>;
  beforeEach(() => {
    rds = fakeRds();
    rds.mock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        {
          DBSnapshotIdentifier: "s1",
          SnapshotCreateTime: new Date("2026-11-28T03:00:00Z"),
          Status: "available",
          Engine: "postgres",
          EngineVersion: "15.8",
        },
      ],
    });
  });
  afterEach(() => rds.mock.restore());
  const calls = (name: string) =>
    rds.mock.calls().filter((c) => c.args[0].constructor.name === `${name}Command`);

  it("refuses a copy whose identifier is production's (any case): no call creates anything", async () => {
    const provider = makeProvider(awsEnv({ production: { dbInstance: ID.toUpperCase() } }));
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const { opts, disposers } = restoreOpts(RUN);
    const e = await drillErrorOf(provider.restore(plan, opts));
    expect([e.code, e.exitCode]).toEqual(["GUARD_PRODUCTION", 2]);
    expect(e.message).toBe(`refusing to restore onto ${ID}: it is configured as production`);
    expect(calls("RestoreDBInstanceFromDBSnapshot")).toHaveLength(0);
    expect(disposers).toHaveLength(0);
  });

  it("modify and delete touch only what this run tagged, and never production", async () => {
    const provider = makeProvider(awsEnv());
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const { opts, disposers } = restoreOpts(RUN);
    rds.mock.on(RestoreDBInstanceFromDBSnapshotCommand).callsFake((i) => {
      // Someone else's instance under the same name: another run's tag.
      rds.state.set(i.DBInstanceIdentifier, {
        kind: "instance",
        tags: [{ Key: "drill:run", Value: "other-run" }],
        script: ["available"],
      });
      return {};
    });
    expect((await drillErrorOf(provider.restore(plan, opts))).code).toBe("GUARD_UNTAGGED");
    expect(calls("ModifyDBInstance")).toHaveLength(0);
    rds.state.get(ID)!.tags = [];
    expect((await drillErrorOf(disposers[0]!())).code).toBe("GUARD_UNTAGGED");
    expect(calls("DeleteDBInstance")).toHaveLength(0);
    expect(rds.state.has(ID)).toBe(true);
    expect(rds.mock.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
    expect(rds.mock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it("production is refused even when it carries this run's tags", () => {
    const env = awsEnv();
    const tags = [
      { Key: "drill:run", Value: RUN },
      { Key: "drill:drill", Value: "orders-restore" },
    ];
    expect(() => assertOwned(env, "PROD-ORDERS", tags, RUN, "delete")).toThrow(
      "refusing to delete PROD-ORDERS: it is configured as production",
    );
    expect(() => assertOwned(env, ID, tags, RUN, "delete")).not.toThrow();
  });
});

describe("scrub and verify work only on the run's restored copy", () => {
  const drillText = (steps: string) => `name: x\nenvironment: sandbox\nsteps:\n${steps}`;
  const schemaLines = (steps: string) => {
    const read = parseYaml(drillText(steps), "drills/x.yaml", {});
    if (!read.ok) throw new Error("test drill does not parse");
    const parsed = parseWith(drillSchema, read.source);
    return parsed.ok
      ? []
      : parsed.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  };

  it("the drill schema refuses scrub, verify and a staging failover with no restore before them", () => {
    expect(schemaLines("  - scrub: { scrubber: shop }\n")).toEqual([
      "4:12 steps[0].scrub: scrub needs a restore step before it",
    ]);
    expect(
      schemaLines(
        "  - verify: { checks: [ { amcheck: {} } ] }\n  - restore: { from: { snapshot: latest } }\n",
      ),
    ).toEqual(["4:13 steps[0].verify: verify needs a restore step before it"]);
    expect(schemaLines("  - failover: { target: staging }\n")).toEqual([
      "4:15 steps[0].failover: failover needs a restore step before it",
    ]);
    // A production failover needs no copy; it is judged by the production rules below.
    expect(schemaLines("  - failover: { target: production }\n")).toEqual([]);
  });

  it("drill validate: exit 2 with the line to fix", async () => {
    const root = await makeProject({
      "config/drill.yaml": "environments: { sandbox: { provider: local } }\n",
      "scrubbers/shop.yaml": "deterministic: false\ntables: { t: { id: keep } }\n",
      "drills/x.yaml": drillText("  - scrub: { scrubber: shop }\n"),
    });
    const f = fakeIo(root);
    expect(await validateCommand([], f.io)).toBe(2);
    expect(f.err()).toBe(
      "drills/x.yaml:4:12 steps[0].scrub: scrub needs a restore step before it\n",
    );
  });

  /** A step context whose provider throws on any use, and whose target is `target`. */
  function context(target: Target | undefined) {
    const touched: string[] = [];
    const provider = new Proxy({} as Provider, {
      get(_, key) {
        touched.push(String(key));
        throw new Error(`provider.${String(key)} used`);
      },
    });
    const ctx = {
      runId: RUN,
      resources: {
        scrubbers: new Map([
          ["shop", { deterministic: false, unknownColumns: "fail", tables: { t: { id: "keep" } } }],
        ]),
        history: async () => [],
      },
      resolvePath: (p: string) => p,
      drill: { name: "x", environment: "sandbox", production: false, steps: [], notify: [] },
      provider,
      signal: new AbortController().signal,
      clock: { now: () => Date.now() },
      log: createLogger("silent"),
      target,
      setTarget: () => {},
      defer: () => {},
      runDeferred: async () => [],
      progress: () => {},
      measure: () => {},
    } as unknown as StepContext;
    return { ctx, touched };
  }

  it("without a restored copy, the steps refuse before touching anything", async () => {
    for (const [step, options] of [
      [scrub, scrub.schema.parse({ scrubber: "shop" })],
      [verify, verify.schema.parse({ checks: [{ amcheck: {} }] })],
    ] as const) {
      const { ctx, touched } = context(undefined);
      const e = await drillErrorOf(
        (step.run as (o: unknown, c: StepContext) => Promise<unknown>)(options, ctx),
      );
      expect([e.code, e.exitCode, e.message]).toEqual([
        "NO_TARGET",
        2,
        `${step.kind} needs a restore step before it`,
      ]);
      expect(touched).toEqual([]);
    }
  });

  it("with a copy, they connect to ctx.target and nothing else", async () => {
    // The copy's address is a closed port: the error names it, and the provider is never asked.
    const target: Target = {
      connection: { host: "127.0.0.1", port: 1, user: "postgres", password: "x", database: "copy" },
      source: { kind: "snapshot", id: "s1" },
      readyAt: Date.now(),
    };
    for (const [step, options] of [
      [scrub, scrub.schema.parse({ scrubber: "shop" })],
      [verify, verify.schema.parse({ checks: [{ rowCount: { table: "t", min: 1 } }] })],
    ] as const) {
      const { ctx, touched } = context(target);
      const run = step.run as (o: unknown, c: StepContext) => Promise<{ details: unknown }>;
      const outcome = await run(options, ctx).then(
        (r) => JSON.stringify(r.details),
        (e: unknown) => String(e),
      );
      expect(outcome).toContain("127.0.0.1:1");
      expect(touched).toEqual([]);
    }
  });
});

describe("failover of production", () => {
  const drill = (production: boolean, window?: string) => ({
    name: "prod-failover",
    production,
    ...(window ? { window } : {}),
  });
  const step = { target: "production", path: "steps[0].failover" };
  const TUESDAY_11 = Date.parse("2026-11-24T11:00:00Z");
  const TUESDAY_15 = Date.parse("2026-11-24T15:00:00Z");
  const at = (now: number, o: { confirm?: boolean; daemon?: boolean } = {}) => ({
    confirmProduction: o.confirm ?? false,
    fromDaemon: o.daemon ?? false,
    now,
  });
  const what = 'steps[0].failover: target "production" fails over a production database';

  it("needs production: true, whatever the flags", () => {
    for (const ctx of [
      at(TUESDAY_11),
      at(TUESDAY_11, { confirm: true }),
      at(TUESDAY_11, { daemon: true }),
    ])
      expect(failoverSafety(drill(false, "Tue 10:00-12:00 UTC"), step, ctx)).toEqual([
        `${what}; the drill must say \`production: true\` to allow it`,
      ]);
  });

  it("on demand, then --confirm-production", () => {
    expect(failoverSafety(drill(true), step, at(TUESDAY_11))).toEqual([
      `${what}; run it with --confirm-production to confirm (drill prod-failover)`,
    ]);
    expect(failoverSafety(drill(true), step, at(TUESDAY_11, { confirm: true }))).toEqual([]);
  });

  it("from the daemon, only inside the drill's window (and never without one)", () => {
    const daemon = (now: number, window?: string) =>
      failoverSafety(drill(true, window), step, at(now, { daemon: true, confirm: true }));
    expect(daemon(TUESDAY_11)).toEqual([
      `${what}; the daemon runs it only inside the drill's \`window\`, and it has none`,
    ]);
    expect(daemon(TUESDAY_15, "Tue 10:00-12:00 UTC")).toEqual([
      `${what}; now is outside its window "Tue 10:00-12:00 UTC"`,
    ]);
    expect(daemon(TUESDAY_11, "Tue 10:00-12:00 UTC")).toEqual([]);
  });

  it("the step itself refuses production without production: true, before the provider is asked", async () => {
    let asked = false;
    const ctx = {
      drill: { name: "x", production: false },
      provider: {
        name: "aws",
        failoverPair: async () => {
          asked = true;
          throw new Error("asked");
        },
      },
      clock: { now: () => TUESDAY_11 },
    } as unknown as StepContext;
    const e = await drillErrorOf(
      failover.run(failover.schema.parse({ target: "production" }), ctx),
    );
    expect([e.code, e.exitCode]).toEqual(["PRODUCTION_NOT_ALLOWED", 2]);
    expect(asked).toBe(false);
  });

  describe("drill run (built CLI): exit 2 and nothing created", () => {
    let root: string;
    afterAll(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    const failoverDrill = (production: boolean) => `name: prod-failover
environment: sandbox
production: ${production}
steps:
  - failover: { target: production, probe: { writesPerSecond: 10 } }
`;

    it("without production: true, and without --confirm-production", async () => {
      root = await makeProject({
        "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
        "drills/prod-failover.yaml": failoverDrill(false),
        "drills/prod-confirmed.yaml": failoverDrill(true).replace(
          "name: prod-failover",
          "name: prod-confirmed",
        ),
      });
      const a = await runCli(["run", "prod-failover"], { cwd: root });
      expect([a.code, a.stdout]).toEqual([2, ""]);
      expect(a.stderr).toBe(
        `drill prod-failover: drills/prod-failover.yaml ${what}; the drill must say \`production: true\` to allow it (hint: nothing was created or touched)\n`,
      );
      const b = await runCli(["run", "prod-confirmed"], { cwd: root });
      expect([b.code, b.stdout]).toEqual([2, ""]);
      expect(b.stderr).toBe(
        `drill prod-confirmed: drills/prod-confirmed.yaml ${what}; run it with --confirm-production to confirm (drill prod-confirmed) (hint: nothing was created or touched)\n`,
      );
      // Nothing made: no sandbox, no run folder, no lock, no record, no server.
      expect(existsSync(join(root, ".drill"))).toBe(false);
      expect(processesNaming(root)).toEqual([]);
    });
  });
});
