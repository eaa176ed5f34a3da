import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { drillSchema } from "../../src/definitions/drill.js";
import { resolveSteps } from "../../src/definitions/steps.js";
import { DrillError } from "../../src/errors.js";
import { stagingIdentifier } from "../../src/providers/aws/guard.js";
import { scrub, scrubSchema } from "../../src/steps/scrub.js";
import { STAGING_SG, TEAM_SG } from "./fake-ec2.js";
import { ACCOUNT, awsEnv, fakeRds, makeProvider, restoreOpts } from "./fake-rds.js";
import { tempDir } from "../helpers/temp.js";

/** Scrub's `keep` on AWS: the team's groups attached, the expiry moved, the copy left. */
const RUN = "20261128-163012-orders-restore-3f9a";
const ID = stagingIdentifier(RUN);
const HOUR = 3_600_000;

let rds: ReturnType<typeof fakeRds>;
let root: string;
beforeEach(async () => {
  rds = fakeRds();
  root = await tempDir("aws-keep");
  rds.mock.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: "prod-orders" }).resolves({
    DBSnapshots: [
      {
        DBSnapshotIdentifier: "rds:prod-orders-2026-11-28",
        SnapshotCreateTime: new Date("2026-11-28T03:00:00Z"),
        Status: "available",
        Engine: "postgres",
        EngineVersion: "15.8",
      },
    ],
  });
  rds.mock.on(DescribeDBClusterSnapshotsCommand, { DBClusterIdentifier: "prod-aurora" }).resolves({
    DBClusterSnapshots: [
      {
        DBClusterSnapshotIdentifier: "rds:prod-aurora-2026-11-28",
        SnapshotCreateTime: new Date("2026-11-28T03:00:00Z"),
        Status: "available",
        Engine: "aurora-postgresql",
        EngineVersion: "15.4",
      },
    ],
  });
});
afterEach(async () => {
  rds.mock.restore();
});

const names = () => rds.mock.calls().map((c) => c.args[0].constructor.name.replace(/Command$/, ""));
const inputsOf = (name: string) =>
  rds.mock
    .calls()
    .filter((c) => c.args[0].constructor.name === `${name}Command`)
    .map((c) => c.args[0].input as Record<string, unknown>);

async function restored(env = awsEnv({ hourlyPrice: 0.08 }, { teamSecurityGroups: [TEAM_SG] })) {
  const provider = makeProvider(env, { root });
  const { opts, disposers, lines } = restoreOpts(RUN);
  const copy = await provider.restore(
    await provider.planRestore({ kind: "snapshot", snapshot: "latest" }),
    opts,
  );
  return { provider, copy, disposers, lines };
}

describe("aws provider: keep", () => {
  it("attaches the team's groups, waits until active, moves the expiry, leaves the copy at cleanup", async () => {
    const { provider, copy, disposers, lines } = await restored();
    const until = new Date(Date.now() + 4 * HOUR);
    const kept = await provider.keeper.keep({ runId: RUN, until, connection: copy.connection });

    const modify = inputsOf("ModifyDBInstance");
    expect(modify).toHaveLength(2); // the password reset, then the groups
    expect(modify[1]).toEqual({
      DBInstanceIdentifier: ID,
      VpcSecurityGroupIds: [STAGING_SG, TEAM_SG],
      ApplyImmediately: true,
    });
    // Tagged only once the groups were seen active: the fake says "modifying", then "available"
    // with the groups still "adding", then active.
    const after = names().slice(names().lastIndexOf("ModifyDBInstance") + 1);
    expect(after.indexOf("AddTagsToResource")).toBe(3);
    expect(
      after.slice(0, after.indexOf("AddTagsToResource")).every((n) => n === "DescribeDBInstances"),
    ).toBe(true);
    expect(inputsOf("AddTagsToResource")).toEqual([
      {
        ResourceName: `arn:aws:rds:eu-west-1:${ACCOUNT}:db:${ID}`,
        Tags: [
          { Key: "drill:expires-at", Value: until.toISOString() },
          { Key: "drill:kept-until", Value: until.toISOString() },
        ],
      },
    ]);

    const pgpassFile = join(root, ".drill/kept/aws", `${RUN}.pgpass`);
    const host = `${ID}.abc.eu-west-1.rds.amazonaws.com`;
    expect(kept).toMatchObject({
      until: until.toISOString(),
      pgpassFile,
      connect: expect.stringMatching(
        new RegExp(
          `^PGPASSFILE=${pgpassFile} PGSSLMODE=verify-full PGSSLROOTCERT=(\\S+/\\.drill/kept/aws/ca-[0-9a-f]{16}\\.pem) psql -h ${host} -p 5432 -U app shop$`,
        ),
      ),
      host,
      port: 5432,
      user: "app",
      database: "shop",
      securityGroups: [STAGING_SG, TEAM_SG],
    });
    const password = copy.connection.password!;
    expect(await readFile(pgpassFile, "utf8")).toBe(`${host}:5432:shop:app:${password}\n`);
    // The team's psql checks the copy's certificate as drill does: the RDS CA bundle, by name.
    const caFile = /PGSSLROOTCERT=(\S+)/.exec(kept.connect)![1]!;
    expect(await readFile(caFile, "utf8")).toBe(copy.connection.tls!.ca);
    expect((await stat(pgpassFile)).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(kept)).not.toContain(password);

    // The run's own cleanup leaves the kept copy; the estimate runs to the keep time.
    for (const d of [...disposers].reverse()) await d();
    expect(inputsOf("DeleteDBInstance")).toEqual([]);
    expect(rds.state.has(ID)).toBe(true);
    expect(lines.at(-1)).toContain(`kept for the team until ${until.toISOString()}`);
    expect(copy.details.cost).toMatchObject({ final: false, keptUntil: until.toISOString() });
    expect((copy.details.cost as { instanceHours: number }).instanceHours).toBeGreaterThanOrEqual(
      4,
    );
    expect(lines.join("\n")).not.toContain(password);
  });

  it("once the keep time has passed, a late cleanup of the run deletes the copy", async () => {
    const { provider, copy, disposers } = await restored();
    await provider.keeper.keep({
      runId: RUN,
      until: new Date(Date.now() - 1000),
      connection: copy.connection,
    });
    await disposers[0]!();
    expect(inputsOf("DeleteDBInstance")).toEqual([
      { DBInstanceIdentifier: ID, SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
  });

  it("a failed group change tags nothing, and the copy is deleted as usual", async () => {
    const { provider, copy, disposers } = await restored();
    rds.mock
      .on(ModifyDBInstanceCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));
    const e = await provider.keeper
      .keep({ runId: RUN, until: new Date(Date.now() + HOUR), connection: copy.connection })
      .catch((x: unknown) => x);
    expect((e as DrillError).code).toBe("AWS_ACCESS_DENIED");
    expect(inputsOf("AddTagsToResource")).toEqual([]);
    await disposers[0]!();
    expect(inputsOf("DeleteDBInstance")).toHaveLength(1);
  });

  it("without teamSecurityGroups: refused (exit 2, the field named) in scrub's preflight, before the restore", async () => {
    const provider = makeProvider(awsEnv(), { root });
    const e = (() => {
      try {
        provider.keeper.check();
      } catch (x) {
        return x as DrillError;
      }
    })();
    expect([e?.code, e?.exitCode]).toEqual(["KEEP_NO_TEAM_GROUPS", 2]);
    expect(e?.message).toContain("environments.aws-staging.staging.teamSecurityGroups");

    const options = scrubSchema.parse({ scrubber: "shop", keep: "4h" });
    const drill = drillSchema.parse({
      name: "x",
      environment: "aws-staging",
      steps: [
        { restore: { from: { snapshot: "latest" } } },
        { scrub: { scrubber: "shop", keep: "4h" } },
      ],
    });
    const steps = resolveSteps(drill);
    const refused = await scrub.preflight!(options, {
      drill,
      steps,
      step: steps[1]!,
      provider,
      resources: { scrubbers: new Map(), history: async () => [] },
      resolvePath: (p) => p,
      signal: new AbortController().signal,
      sourceCatalog: async () => undefined,
    }).catch((x: unknown) => x);
    expect((refused as DrillError).code).toBe("KEEP_NO_TEAM_GROUPS");
    expect(rds.mock.calls()).toHaveLength(0);
    // And keep itself refuses before touching the copy.
    const direct = await provider.keeper
      .keep({
        runId: RUN,
        until: new Date(Date.now() + HOUR),
        connection: { host: "h", port: 5432, user: "u", database: "d" },
      })
      .catch((x: unknown) => x);
    expect((direct as DrillError).code).toBe("KEEP_NO_TEAM_GROUPS");
    expect(rds.mock.calls()).toHaveLength(0);
  });

  it("Aurora: ModifyDBCluster with the groups, the cluster's tags moved, instance and cluster left", async () => {
    const env = awsEnv(
      { production: { dbCluster: "prod-aurora" } },
      { teamSecurityGroups: [TEAM_SG, STAGING_SG] },
    );
    const { provider, copy, disposers } = await restored(env);
    const until = new Date(Date.now() + 2 * HOUR);
    const kept = await provider.keeper.keep({ runId: RUN, until, connection: copy.connection });
    expect(inputsOf("ModifyDBCluster")[1]).toEqual({
      DBClusterIdentifier: ID,
      // A group in both lists is sent once.
      VpcSecurityGroupIds: [STAGING_SG, TEAM_SG],
      ApplyImmediately: true,
    });
    expect(inputsOf("AddTagsToResource")[0]).toMatchObject({
      ResourceName: `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:${ID}`,
    });
    expect(kept.connect).toContain(`-h ${ID}.cluster-abc.eu-west-1.rds.amazonaws.com`);
    for (const d of [...disposers].reverse()) await d();
    expect(inputsOf("DeleteDBInstance")).toEqual([]);
    expect(inputsOf("DeleteDBCluster")).toEqual([]);
    expect(rds.state.has(ID)).toBe(true);
  });
});
