import {
  DescribeSecurityGroupsCommand,
  EC2Client,
  type IpPermission,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";

export const STAGING_SG = "sg-0123456789abcdef0";
export const RUNNER_SG = "sg-0fedcba9876543210";
export const TEAM_SG = "sg-0aaaabbbbccccdddd";

/** PostgreSQL from one source: the shape of an ingress rule as DescribeSecurityGroups returns it. */
export const pgFrom = (source: Partial<IpPermission>): IpPermission => ({
  IpProtocol: "tcp",
  FromPort: 5432,
  ToPort: 5432,
  IpRanges: [],
  Ipv6Ranges: [],
  PrefixListIds: [],
  UserIdGroupPairs: [],
  ...source,
});

export const fromGroup = (groupId: string) =>
  pgFrom({ UserIdGroupPairs: [{ GroupId: groupId, UserId: "111111111111" }] });

/**
 * EC2 as the quarantine check sees it, through aws-sdk-client-mock: the staging groups by id
 * (default: one group whose only ingress rule admits the runner's group), unknown ids refused
 * like EC2 does.
 */
export function fakeEc2(
  groups: Record<string, IpPermission[]> = { [STAGING_SG]: [fromGroup(RUNNER_SG)] },
) {
  const mock = mockClient(EC2Client);
  const state = new Map(Object.entries(groups));
  mock.on(DescribeSecurityGroupsCommand).callsFake((input: { GroupIds?: string[] }) => {
    const missing = (input.GroupIds ?? []).find((id) => !state.has(id));
    if (missing) {
      throw Object.assign(new Error(`The security group '${missing}' does not exist`), {
        name: "InvalidGroup.NotFound",
      });
    }
    const SecurityGroups: SecurityGroup[] = (input.GroupIds ?? []).map((id) => ({
      GroupId: id,
      GroupName: `name-of-${id}`,
      IpPermissions: state.get(id),
    }));
    return { SecurityGroups };
  });
  return { mock, state };
}

export const ec2Client = () =>
  new EC2Client({
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
