import { DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import type { IpPermission } from "@aws-sdk/client-ec2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DrillError } from "../../src/errors.js";
import { stagingIdentifier } from "../../src/providers/aws/guard.js";
import { fromGroup, pgFrom, RUNNER_SG, STAGING_SG } from "./fake-ec2.js";
import { awsEnv, fakeRds, makeProvider, restoreOpts } from "./fake-rds.js";

/**
 * A restored copy holds production's data until its scrub passes, so the staging
 * security groups must admit only the runner; anything else is refused before a copy exists.
 */
const RUN = "20261128-163012-orders-restore-3f9a";
const SECOND_SG = "sg-0222222222222222f";

let rds: ReturnType<typeof fakeRds>;
beforeEach(() => {
  rds = fakeRds();
});
afterEach(() => (rds.mock.restore(), rds.ec2.mock.restore()));

/** RDS calls that are not lookups: a refused restore must have none. */
const writes = () =>
  rds.mock
    .calls()
    .map((c) => c.args[0].constructor.name)
    .filter((n) => !n.startsWith("Describe"));

/** Restore (the plan made offline, so that the restore itself must refuse) with these groups. */
async function restoreWith(groups: Record<string, IpPermission[]>, staging = [STAGING_SG]) {
  for (const [id, rules] of Object.entries(groups)) rds.ec2.state.set(id, rules);
  const env = awsEnv({}, { securityGroups: staging });
  const plan = await makeProvider(env, { offline: true }).planRestore({
    kind: "pointInTime",
    time: "latest",
  });
  rds.addProduction("prod-orders", "instance");
  const { opts, disposers } = restoreOpts(RUN);
  const result = await makeProvider(env)
    .restore(plan, opts)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { error: result as DrillError | undefined, disposers };
}

async function expectRefused(groups: Record<string, IpPermission[]>, message: string) {
  const { error, disposers } = await restoreWith(groups);
  expect(error).toBeInstanceOf(DrillError);
  expect([error!.code, error!.exitCode]).toEqual(["QUARANTINE_OPEN", 2]);
  expect(error!.message).toBe(message);
  expect(error!.hint).toContain("environments.aws-staging.staging.teamSecurityGroups");
  expect(writes()).toEqual([]);
  expect(disposers).toHaveLength(0);
}

const only = (runner = RUNNER_SG) =>
  `: until the scrub passes a copy may be reachable only by the runner (${runner})`;

describe("aws provider: staging security groups quarantine the copy", () => {
  it("refuses a rule open to 0.0.0.0/0, naming the group and the rule; nothing created", async () => {
    await expectRefused(
      { [STAGING_SG]: [fromGroup(RUNNER_SG), pgFrom({ IpRanges: [{ CidrIp: "0.0.0.0/0" }] })] },
      `staging security group ${STAGING_SG} admits 0.0.0.0/0 on tcp 5432${only()}`,
    );
  });

  it("refuses a private range too: 10.0.0.0/8 says nothing of who is in it", async () => {
    await expectRefused(
      {
        [STAGING_SG]: [
          pgFrom({ IpProtocol: "-1", IpRanges: [{ CidrIp: "10.20.0.0/16" }] }),
          fromGroup(RUNNER_SG),
        ],
      },
      `staging security group ${STAGING_SG} admits 10.20.0.0/16 on all traffic${only()}`,
    );
  });

  it("refuses another security group, IPv6 ranges and prefix lists", async () => {
    await expectRefused(
      { [STAGING_SG]: [fromGroup("sg-0bbbbbbbbbbbbbbbb")] },
      `staging security group ${STAGING_SG} admits security group sg-0bbbbbbbbbbbbbbbb on tcp 5432${only()}`,
    );
    await expectRefused(
      {
        [STAGING_SG]: [pgFrom({ Ipv6Ranges: [{ CidrIpv6: "::/0" }], FromPort: 0, ToPort: 65535 })],
      },
      `staging security group ${STAGING_SG} admits ::/0 on tcp 0-65535${only()}`,
    );
    await expectRefused(
      { [STAGING_SG]: [pgFrom({ PrefixListIds: [{ PrefixListId: "pl-0123abcd" }] })] },
      `staging security group ${STAGING_SG} admits prefix list pl-0123abcd on tcp 5432${only()}`,
    );
  });

  it("checks every staging group, not only the first", async () => {
    const { error } = await restoreWith(
      {
        [STAGING_SG]: [fromGroup(RUNNER_SG)],
        [SECOND_SG]: [pgFrom({ IpRanges: [{ CidrIp: "192.168.1.0/24" }] })],
      },
      [STAGING_SG, SECOND_SG],
    );
    expect(error?.code).toBe("QUARANTINE_OPEN");
    expect(error?.message).toContain(`${SECOND_SG} admits 192.168.1.0/24`);
    expect(rds.ec2.mock.commandCalls(DescribeSecurityGroupsCommand)[0]!.args[0].input).toEqual({
      GroupIds: [STAGING_SG, SECOND_SG],
    });
  });

  it("passes groups that admit only the runner's group (or nothing), and restores", async () => {
    const { error, disposers } = await restoreWith(
      { [STAGING_SG]: [fromGroup(RUNNER_SG)], [SECOND_SG]: [] },
      [STAGING_SG, SECOND_SG],
    );
    expect(error).toBeUndefined();
    const calls = rds.ec2.mock.commandCalls(DescribeSecurityGroupsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ GroupIds: [STAGING_SG, SECOND_SG] });
    expect(writes()).toContain("RestoreDBInstanceToPointInTimeCommand");
    // Checked before the copy was made.
    const restoreCall = rds.mock
      .calls()
      .find((c) => c.args[0].constructor.name === "RestoreDBInstanceToPointInTimeCommand")!;
    expect(calls[0]!.calledBefore(restoreCall)).toBe(true);
    for (const d of disposers) await d();
    expect(rds.state.has(stagingIdentifier(RUN))).toBe(false);
  });

  it("without runnerSecurityGroup: exit 2 naming the field, before any AWS call", async () => {
    const provider = makeProvider(awsEnv({}, { runnerSecurityGroup: undefined }));
    const e = await provider.planRestore({ kind: "snapshot", snapshot: "latest" }).catch((x) => x);
    expect(e).toBeInstanceOf(DrillError);
    expect([e.code, e.exitCode]).toEqual(["QUARANTINE_NO_RUNNER_GROUP", 2]);
    expect(e.message).toContain("environments.aws-staging.staging.runnerSecurityGroup is not set");
    expect(e.hint).toContain("set environments.aws-staging.staging.runnerSecurityGroup");
    expect(rds.mock.calls()).toHaveLength(0);
    expect(rds.ec2.mock.calls()).toHaveLength(0);
  });

  it("a staging group that does not exist is bad input, nothing created", async () => {
    const { error } = await restoreWith({}, ["sg-0999999999999999a"]);
    expect([error?.code, error?.exitCode]).toEqual(["QUARANTINE_GROUP_NOT_FOUND", 2]);
    expect(error?.message).toContain("environments.aws-staging.staging.securityGroups");
    expect(writes()).toEqual([]);
  });
});
