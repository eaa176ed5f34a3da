import type { EC2Client, IpPermission, SecurityGroup } from "@aws-sdk/client-ec2";
import type { AwsEnvironment } from "../../definitions/config.js";
import { inputError } from "../../errors.js";
import { call, isNotFound } from "./errors.js";

/**
 * The runner's security group: the one source a staging group may admit. Refused (exit 2)
 * when not configured: without it drill cannot tell the runner from anyone else.
 */
export function runnerGroupOf(env: AwsEnvironment, envName: string): string {
  const runner = env.staging.runnerSecurityGroup;
  if (!runner) {
    throw inputError(
      "QUARANTINE_NO_RUNNER_GROUP",
      `environments.${envName}.staging.runnerSecurityGroup is not set: drill cannot check that the staging security groups admit only the runner`,
      `set environments.${envName}.staging.runnerSecurityGroup to the security group of the machine or task drill runs in`,
    );
  }
  return runner;
}

/** The groups that let the team in; `keep` on AWS is refused (exit 2) without them. */
export function teamGroupsOf(env: AwsEnvironment, envName: string): string[] {
  const team = env.staging.teamSecurityGroups;
  if (!team?.length) {
    throw inputError(
      "KEEP_NO_TEAM_GROUPS",
      `scrub: keep on AWS needs environments.${envName}.staging.teamSecurityGroups: the security groups that let the team reach the kept copy`,
      `set environments.${envName}.staging.teamSecurityGroups, or remove keep from the scrub step`,
    );
  }
  return team;
}

const portsOf = (p: IpPermission) =>
  p.IpProtocol === "-1"
    ? "all traffic"
    : p.FromPort === p.ToPort
      ? `${p.IpProtocol} ${p.FromPort}`
      : `${p.IpProtocol} ${p.FromPort}-${p.ToPort}`;

/**
 * Each ingress rule of the group that admits anything but the runner's group: an IPv4 or IPv6
 * range (0.0.0.0/0 and 10.0.0.0/8 alike: an address says nothing of who holds it), a prefix
 * list, or another security group (its own members included).
 */
export function ingressViolations(group: SecurityGroup, runner: string): string[] {
  const out: string[] = [];
  for (const p of group.IpPermissions ?? []) {
    const on = portsOf(p);
    for (const r of p.IpRanges ?? []) out.push(`${r.CidrIp} on ${on}`);
    for (const r of p.Ipv6Ranges ?? []) out.push(`${r.CidrIpv6} on ${on}`);
    for (const l of p.PrefixListIds ?? []) out.push(`prefix list ${l.PrefixListId} on ${on}`);
    for (const g of p.UserIdGroupPairs ?? [])
      if (g.GroupId !== runner) out.push(`security group ${g.GroupId ?? g.GroupName} on ${on}`);
  }
  return out;
}

/**
 * A restored copy holds production's data until its scrub and leak scan pass, so it may be
 * reachable only by the runner: every staging group must admit nothing but the runner's group.
 * Checked before anything is created; an offending rule is refused (exit 2) with the rule named.
 */
export async function assertQuarantined(
  env: AwsEnvironment,
  envName: string,
  ec2: EC2Client,
): Promise<{ securityGroups: string[]; runner: string }> {
  const runner = runnerGroupOf(env, envName);
  const { DescribeSecurityGroupsCommand } = await import("@aws-sdk/client-ec2");
  const wanted = env.staging.securityGroups;
  const groups = await call("describing the staging security groups", async () => {
    try {
      return (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: wanted })))
        .SecurityGroups;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      throw inputError(
        "QUARANTINE_GROUP_NOT_FOUND",
        `environments.${envName}.staging.securityGroups: ${wanted.join(", ")}: ${(e as Error).message}`,
        "name security groups of the staging VPC, in the environment's region",
      );
    }
  });
  for (const id of wanted) {
    const group = groups?.find((g) => g.GroupId === id);
    if (!group) {
      throw inputError(
        "QUARANTINE_GROUP_NOT_FOUND",
        `staging security group ${id} was not found in ${env.region}`,
        `check environments.${envName}.staging.securityGroups`,
      );
    }
    const bad = ingressViolations(group, runner)[0];
    if (bad) {
      throw inputError(
        "QUARANTINE_OPEN",
        `staging security group ${id} admits ${bad}: until the scrub passes a copy may be reachable only by the runner (${runner})`,
        `remove that ingress rule; the team gets access to a kept copy through environments.${envName}.staging.teamSecurityGroups`,
      );
    }
  }
  return { securityGroups: wanted, runner };
}
