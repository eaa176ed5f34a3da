import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../src/definitions/config.js";
import { silentLogger } from "../../src/log.js";
import { createProvider } from "../../src/providers/index.js";
import { restoreSchema, sourceOf } from "../../src/steps/restore.js";
import { localEnv } from "../local/util.js";

const base = {
  provider: "aws",
  region: "eu-west-1",
  production: { dbInstance: "prod-orders" },
  staging: {
    instanceClass: "db.t4g.medium",
    subnetGroup: "staging-isolated",
    securityGroups: ["sg-0123abcd"],
    runnerSecurityGroup: "sg-0fedcba9",
    ttl: "6h",
  },
};

describe("aws environments", () => {
  it("parses the sample environment with defaults", () => {
    const env = environmentSchema.parse({
      ...base,
      staging: { ...base.staging, publiclyAccessible: false },
    });
    expect(env).toMatchObject({ provider: "aws", staging: { multiAz: false, ttl: 6 * 3_600_000 } });
  });
  it("refuses a public copy, unknown keys, both production kinds, a bad region", () => {
    const issues = (v: unknown) =>
      environmentSchema
        .safeParse(v)
        .error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(issues({ ...base, staging: { ...base.staging, publiclyAccessible: true } })).toEqual([
      "staging.publiclyAccessible: a staging copy is never publicly accessible",
    ]);
    expect(issues({ ...base, staging: { ...base.staging, public: true } })[0]).toMatch(
      /unknown key "public"/,
    );
    expect(issues({ ...base, production: { dbInstance: "a", dbCluster: "b" } })[0]).toMatch(
      /dbInstance.*dbCluster/,
    );
    expect(issues({ ...base, region: "europe" })[0]).toMatch(/^region: expected an AWS region/);
  });
  it("restore from: pointInTime and s3:// archives", () => {
    const src = (from: object) => sourceOf(restoreSchema.parse({ from }), (p) => `/root/${p}`);
    expect(src({ pointInTime: "latest" })).toEqual({ kind: "pointInTime", time: "latest" });
    expect(src({ pointInTime: "2026-11-28T08:00:00+01:00" })).toEqual({
      kind: "pointInTime",
      time: new Date("2026-11-28T07:00:00Z"),
    });
    expect(src({ archive: "s3://b/k.dump" })).toEqual({ kind: "archive", path: "s3://b/k.dump" });
    expect(src({ archive: "dumps/x.dump" })).toEqual({
      kind: "archive",
      path: "/root/dumps/x.dump",
    });
    expect(
      restoreSchema.safeParse({ from: { pointInTime: "latest", snapshot: "latest" } }).success,
    ).toBe(false);
    expect(src({ archive: "s3://b/k.sql", format: "plain" })).toEqual({
      kind: "archive",
      path: "s3://b/k.sql",
      format: "plain",
    });
    const noArchive = restoreSchema.safeParse({ from: { snapshot: "latest", format: "plain" } });
    expect(noArchive.error?.issues.map((i) => i.message)).toEqual([
      "format applies to an archive: from: { archive: …, format: plain }",
    ]);
    expect(restoreSchema.safeParse({ from: { archive: "x.sql", format: "sql" } }).success).toBe(
      false,
    );
  });
});

describe("provider capabilities", () => {
  it("a local environment declares its capabilities and plans a point in time before its first snapshot", async () => {
    const provider = await createProvider(localEnv(), {
      root: "/nonexistent",
      environmentName: "sandbox",
      log: silentLogger,
    });
    expect(provider.objectStore).toBeTypeOf("function");
    expect(provider.keeper?.keep).toBeTypeOf("function");
    expect(provider.failoverPair).toBeTypeOf("function");
    // No snapshot yet (drill plan on a fresh machine): the run's prepare takes the first one.
    const plan = await provider.planRestore({ kind: "pointInTime", time: "latest" });
    expect(plan.description).toBe(
      "a new snapshot, taken when the drill starts, + archived WAL, replayed to the end of the archive → new cluster on a free port",
    );
  });
});
