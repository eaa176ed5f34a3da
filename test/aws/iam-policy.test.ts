import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/project.js";

/**
 * deploy/aws/iam-policy.json is the least-privilege policy for the runner's role: every AWS call
 * the provider code sends must be allowed by it (else a drill fails with AccessDenied in
 * production only), and every write must stay on drill's own tagged resources.
 */
interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
const policy = JSON.parse(readFileSync(join(REPO, "deploy/aws/iam-policy.json"), "utf8")) as {
  Statement: Statement[];
};
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** What the code sends to AWS: the provider, the AWS failover, `drill cleanup` of AWS. */
const SOURCES = [
  ...readdirSync(join(REPO, "src/providers/aws")).map((f) => `src/providers/aws/${f}`),
  "src/failover/aws.ts",
  "src/cleanup/aws.ts",
];

/** S3 operations whose IAM actions have other names (GetObject of a version: GetObjectVersion). */
const S3_ACTIONS: Record<string, string[]> = {
  GetObject: ["s3:GetObject", "s3:GetObjectVersion"],
  HeadObject: ["s3:GetObject"],
  PutObject: ["s3:PutObject"],
  CopyObject: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
  DeleteObjects: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
  ListObjectsV2: ["s3:ListBucket"],
  ListObjectVersions: ["s3:ListBucketVersions"],
  ListBuckets: ["s3:ListAllMyBuckets"],
  CreateBucket: ["s3:CreateBucket"],
  DeleteBucket: ["s3:DeleteBucket"],
  GetBucketTagging: ["s3:GetBucketTagging"],
  PutBucketTagging: ["s3:PutBucketTagging"],
  PutPublicAccessBlock: ["s3:PutBucketPublicAccessBlock"],
};

async function sentCommands(): Promise<{ service: string; name: string }[]> {
  const sdks = {
    rds: await import("@aws-sdk/client-rds"),
    ec2: await import("@aws-sdk/client-ec2"),
    s3: await import("@aws-sdk/client-s3"),
  };
  const names = new Set<string>();
  for (const file of SOURCES) {
    for (const m of readFileSync(join(REPO, file), "utf8").matchAll(/\b([A-Z]\w+)Command\b/g))
      names.add(m[1]!);
  }
  const out: { service: string; name: string }[] = [];
  for (const name of [...names].sort()) {
    const service = Object.entries(sdks).find(([, sdk]) => `${name}Command` in sdk)?.[0];
    if (service) out.push({ service, name });
  }
  return out;
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
const allowing = (action: string) =>
  policy.Statement.filter(
    (s) => s.Effect === "Allow" && list(s.Action).some((a) => glob(a).test(action)),
  );

describe("deploy/aws/iam-policy.json", () => {
  it("allows every AWS call the provider, the AWS failover and drill cleanup send", async () => {
    const sent = await sentCommands();
    // The scan found the calls (a rename of the SDK import would make it find nothing).
    expect(sent.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "CopyDBSnapshot",
        "CopyDBClusterSnapshot",
        "DeleteDBSnapshot",
        "DeleteDBClusterSnapshot",
        "AddTagsToResource",
        "DescribeSecurityGroups",
        "RestoreDBInstanceFromDBSnapshot",
        "ListBuckets",
      ]),
    );
    const missing: string[] = [];
    for (const { service, name } of sent) {
      const actions = service === "s3" ? S3_ACTIONS[name] : [`${service}:${name}`];
      if (!actions) {
        missing.push(`s3 ${name}: add its IAM action to S3_ACTIONS in this test`);
        continue;
      }
      for (const a of actions) if (allowing(a).length === 0) missing.push(a);
    }
    expect(missing).toEqual([]);
  });

  it("lets rds writes touch only drill's own tagged resources", () => {
    const drillOnly = (s: Statement) =>
      list(s.Resource).every((r) => /:(db|cluster|snapshot|cluster-snapshot):drill-\*$/.test(r));
    const condition = (s: Statement, key: string) =>
      Object.values(s.Condition ?? {}).some((c) => key in c);
    // Modify, delete, fail over, re-tag: only what already carries drill:run.
    for (const action of [
      "rds:ModifyDBInstance",
      "rds:ModifyDBCluster",
      "rds:DeleteDBInstance",
      "rds:DeleteDBCluster",
      "rds:DeleteDBSnapshot",
      "rds:DeleteDBClusterSnapshot",
      "rds:RebootDBInstance",
      "rds:FailoverDBCluster",
    ]) {
      for (const s of allowing(action)) {
        expect(drillOnly(s), `${s.Sid}: ${action}`).toBe(true);
        expect(condition(s, "aws:ResourceTag/drill:run"), `${s.Sid}: ${action}`).toBe(true);
      }
    }
    // Tags are added on create (with drill:run), or to a tagged copy (its expiry only).
    for (const s of allowing("rds:AddTagsToResource")) {
      expect(drillOnly(s), s.Sid).toBe(true);
      const onCreate = condition(s, "aws:RequestTag/drill:run");
      const expiryOnly = JSON.stringify(s.Condition).includes(
        '["drill:expires-at","drill:kept-until"]',
      );
      expect(onCreate || (condition(s, "aws:ResourceTag/drill:run") && expiryOnly), s.Sid).toBe(
        true,
      );
    }
    // A snapshot copy lands only as a tagged drill-* copy; its sources are named, never "*".
    for (const s of allowing("rds:CopyDBSnapshot")) {
      expect(list(s.Resource)).not.toContain("*");
      if (list(s.Resource).some((r) => r.includes(":drill-*")))
        expect(drillOnly(s) && condition(s, "aws:RequestTag/drill:run"), s.Sid).toBe(true);
    }
    // KMS: only on the staging and backup keys, only for RDS's use.
    for (const s of allowing("kms:Decrypt")) {
      expect(list(s.Resource).every((r) => r.startsWith("arn:aws:kms:"))).toBe(true);
      expect(condition(s, "kms:ViaService"), s.Sid).toBe(true);
    }
  });
});
