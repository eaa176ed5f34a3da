import { isAbsolute } from "node:path";
import { z } from "zod";
import { strict } from "../definitions/common.js";
import { DURATION_PATTERN, parseDuration } from "../duration.js";
import type { PhysicalBackupSource, RecoveryTarget } from "../providers/types.js";

/**
 * The restore step's physical backup sources (pgBackRest, Barman, pg_basebackup -Ft with a WAL
 * archive) and its `target`: where WAL replay stops. Kept apart from restore.ts, which maps them.
 */

// Values that end up in a restore_command or a tool's argument list: plain words only, so a
// drill file can never smuggle shell syntax into what PostgreSQL runs through /bin/sh.
const word = (what: string) =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
    message: `expected a ${what}: letters, digits, '.', '_' or '-'`,
  });

const absolute = (what: string) =>
  z
    .string()
    .min(1)
    .refine((p) => isAbsolute(p), { message: `expected an absolute path to ${what}` })
    .refine((p) => !/[\0\n\r'"`$\\]/.test(p), {
      message: "a path with quotes, backslashes, '$', '`' or line breaks is not accepted",
    });

const pathOrS3 = (what: string) =>
  z
    .string()
    .min(1)
    .refine((p) => p.startsWith("s3://") || isAbsolute(p), {
      message: `expected an absolute path or s3://bucket/… for ${what}`,
    })
    .refine((p) => !/[\0\n\r'"`$\\]/.test(p), {
      message: "a path with quotes, backslashes, '$', '`' or line breaks is not accepted",
    });

const roles = {
  superuser: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/)
    .default("postgres")
    .meta({
      description:
        "the backup's superuser: drill enters the copy as it over a private socket, then hands everything to a working role (default postgres)",
    }),
  database: z.string().min(1).max(63).default("postgres").meta({
    description:
      "the database the copy's connection names for the steps after restore (default postgres)",
  }),
};

const pgbackrestConfig = z
  .union([
    absolute("pgbackrest.conf"),
    strict({ repoPath: absolute("a posix repository").meta({ description: "repo1-path" }) }),
    strict({
      s3: strict({
        bucket: z
          .string()
          .min(3)
          .max(63)
          .meta({ description: "the bucket holding the repository" }),
        endpoint: z.string().min(1).meta({ description: "host[:port] of the S3 endpoint" }),
        region: z.string().min(1).meta({ description: "the bucket's region (repo1-s3-region)" }),
        repoPath: z
          .string()
          .startsWith("/")
          .optional()
          .meta({ description: "repo1-path inside the bucket (default /)" }),
        uriStyle: z
          .enum(["host", "path"])
          .optional()
          .meta({ description: "host (AWS, default) or path addressing (most other S3 servers)" }),
        caFile: absolute("a CA file").optional().meta({
          description: "a CA file for an endpoint with a private CA (repo1-storage-ca-file)",
        }),
      }).meta({
        description:
          "an S3 repository; credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment",
      }),
    }),
  ])
  .meta({
    description: "a pgbackrest.conf path, or the repository inline: { repoPath } or { s3 }",
  });

export const backupSources = {
  pgbackrest: strict({
    stanza: word("stanza name").meta({
      description: "the pgBackRest stanza (the cluster's name in the repository)",
    }),
    config: pgbackrestConfig,
    set: word("backup label").default("latest").meta({ description: '"latest" or a backup label' }),
    ...roles,
  })
    .optional()
    .meta({ description: "a pgBackRest repository: the backup set to restore, then WAL replay" }),
  barman: strict({
    server: word("Barman server name").meta({
      description: "the Barman server: a [section] of barman.conf",
    }),
    config: absolute("barman.conf")
      .default("/etc/barman.conf")
      .meta({ description: "barman.conf (absolute path, default /etc/barman.conf)" }),
    backup: word("backup id").default("latest").meta({ description: '"latest" or a backup id' }),
    ...roles,
  })
    .optional()
    .meta({ description: "a Barman server's backup, then WAL replay" }),
  basebackup: strict({
    base: pathOrS3("base.tar[.gz]").meta({
      description:
        "base.tar or base.tar.gz of pg_basebackup -Ft: an absolute path or s3://bucket/key",
    }),
    wal: pathOrS3("the WAL archive").meta({
      description:
        "the WAL archive as archive_command or pg_receivewal writes it: an absolute folder or s3://bucket/prefix/",
    }),
    ...roles,
  })
    .optional()
    .meta({ description: "a pg_basebackup tar and a WAL archive" }),
};

const RELATIVE = new RegExp(`^(${DURATION_PATTERN.source.slice(1, -1)}) ago$`);

export const targetSchema = z
  .union([
    z.literal("latest"),
    strict({
      time: z
        .string()
        .refine(
          (t) => RELATIVE.test(t) || (!Number.isNaN(Date.parse(t)) && /^\d{4}-\d\d-\d\dT/.test(t)),
          {
            message: 'expected an ISO 8601 time such as 2026-12-01T14:02:00Z, or "2h ago"',
          },
        )
        .meta({
          description:
            'replay up to this time: ISO 8601 (2026-12-01T14:02:00Z) or a duration before the run starts ("2h ago")',
        }),
    }),
    strict({
      lsn: z
        .string()
        .regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, {
          message: "expected an LSN such as 0/3000060",
        })
        .meta({ description: "replay up to this WAL position (recovery_target_lsn)" }),
    }),
    strict({
      name: z
        .string()
        .min(1)
        .max(63)
        .meta({ description: "a restore point (pg_create_restore_point)" }),
    }),
  ])
  .meta({
    description:
      'where WAL replay stops before the copy is promoted: "latest" (all archived WAL), { time }, { lsn } or { name }',
  });

export type TargetOption = z.output<typeof targetSchema>;

/** The target as the provider sees it; a relative time is taken back from `now`. */
export function recoveryTarget(t: TargetOption | undefined, now: number): RecoveryTarget {
  if (t === undefined || t === "latest") return { kind: "latest" };
  if ("lsn" in t) return { kind: "lsn", lsn: t.lsn.toUpperCase() };
  if ("name" in t) return { kind: "name", name: t.name };
  const rel = RELATIVE.exec(t.time);
  return { kind: "time", time: new Date(rel ? now - parseDuration(rel[1]!)! : Date.parse(t.time)) };
}

type BackupOptions = { [K in keyof typeof backupSources]?: z.output<(typeof backupSources)[K]> };

/** The physical source a `from` names, or undefined when it names none. */
export function backupSourceOf(
  from: BackupOptions,
  target: RecoveryTarget,
): PhysicalBackupSource | undefined {
  if (from.pgbackrest) {
    const { stanza, config, set, superuser, database } = from.pgbackrest;
    return {
      kind: "pgbackrest",
      stanza,
      set,
      config: typeof config === "string" ? { file: config } : config,
      superuser,
      database,
      target,
    };
  }
  if (from.barman) return { kind: "barman", ...from.barman, target };
  if (from.basebackup) return { kind: "basebackup", ...from.basebackup, target };
  return undefined;
}
