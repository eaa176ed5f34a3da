import { z } from "zod";
import { duration, strict } from "./common.js";
import { postgresUrl, TLS_DESCRIPTION } from "./postgres-url.js";
import { DEFAULT_HISTORY_PATH } from "../state/layout.js";

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

export type HistoryConfig = z.output<typeof historySchema>;
