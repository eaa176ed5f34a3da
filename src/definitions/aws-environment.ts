import { z } from "zod";
import { duration, strict } from "./common.js";

/** An RDS instance or Aurora cluster identifier (letters, digits, hyphens; starts with a letter). */
const rdsIdentifier = z.string().regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/, {
  message: "expected an RDS identifier: letters, digits and hyphens, starting with a letter",
});
const instanceClass = z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9-]+$/, {
  message: 'expected an instance class such as "db.t4g.medium"',
});
const securityGroup = z.string().regex(/^sg-[0-9a-f]{8,17}$/, {
  message: 'expected a security group id such as "sg-0123456789abcdef0"',
});

/** RDS and Aurora: where production lives and the limits every restored copy is held to. */
export const awsEnvironment = strict({
  provider: z.literal("aws").meta({ description: "RDS and Aurora through the AWS SDK" }),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, {
      message: 'expected an AWS region such as "eu-west-1"',
    })
    .meta({ description: 'the AWS region of production and staging, e.g. "eu-west-1"' }),
  production: z
    .union(
      [
        strict({ dbInstance: rdsIdentifier.meta({ description: "an RDS instance identifier" }) }),
        strict({ dbCluster: rdsIdentifier.meta({ description: "an Aurora cluster identifier" }) }),
      ],
      {
        error: (issue) =>
          issue.code === "invalid_union"
            ? "expected { dbInstance: <id> } or { dbCluster: <id> }"
            : undefined,
      },
    )
    .meta({
      description:
        "the database never written to: restores read its snapshots and restorable times",
    }),
  staging: strict({
    instanceClass: instanceClass.meta({ description: "the class of every restored copy" }),
    allowedInstanceClasses: z.array(instanceClass).optional().meta({
      description: "classes a drill may ask for; `instanceClass` is always allowed",
    }),
    subnetGroup: z
      .string()
      .min(1)
      .meta({ description: "the DB subnet group copies are restored into" }),
    securityGroups: z.array(securityGroup).min(1).meta({
      description:
        "attached to every copy: they must admit only the runner until scrub and leak scan pass",
    }),
    parameterGroup: z.string().min(1).optional().meta({
      description: "DB parameter group (instances) or DB cluster parameter group (Aurora)",
    }),
    kmsKeyId: z.string().min(1).optional().meta({
      description:
        "a KMS key of this account: an encrypted snapshot shared from another account (or encrypted with another key) is copied under it before the restore; Aurora restores also take it",
    }),
    storageType: z
      .enum(["gp2", "gp3", "io1", "io2", "standard", "aurora", "aurora-iopt1"])
      .optional()
      .meta({ description: "storage type of the copies; unset: as AWS restores the snapshot" }),
    multiAz: z
      .boolean()
      .default(false)
      .meta({ description: "restore copies as Multi-AZ (doubles their cost)" }),
    publiclyAccessible: z
      .literal(false, { error: "a staging copy is never publicly accessible" })
      .optional()
      .meta({ description: "accepted so the setting can be written down; a copy is never public" }),
    ttl: duration.meta({
      description:
        "written into the drill:expires-at tag; `drill cleanup` deletes copies older than this",
    }),
    runnerSecurityGroup: securityGroup.meta({
      description:
        "the runner's own group: the one source the staging groups may admit (checked before every restore)",
    }),
    teamSecurityGroups: z.array(securityGroup).optional().meta({
      description:
        "added beside the staging groups when the scrub step's keep hands the copy to the team",
    }),
  }).meta({ description: "the limits every restored copy is held to" }),
  hourlyPrice: z.number().nonnegative().optional().meta({
    description:
      "USD per instance-hour of the staging class, for the cost estimate in the run record",
  }),
}).meta({
  description:
    "RDS and Aurora: where production lives and the limits every restored copy is held to. Credentials come from the AWS SDK's default chain, never from files. drill reaches each copy over TLS verified against the RDS CA bundle and the copy's endpoint name (sslmode verify-full), also for pg_restore, psql and command checks.",
});
