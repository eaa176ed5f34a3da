import { amcheck } from "./amcheck.js";
import { canary } from "./canary.js";
import { command } from "./command.js";
import { constraints } from "./constraints.js";
import { freshness } from "./freshness.js";
import { noOrphans } from "./no-orphans.js";
import { notNull } from "./not-null.js";
import { rowCount } from "./row-count.js";
import { schemaCheck } from "./schema.js";
import { sql } from "./sql.js";
import type { CheckKind } from "./types.js";
import { unique } from "./unique.js";

/** Every check kind `verify` knows, in the order `drill schema` lists them. */
export const checkKinds: Record<string, CheckKind> = Object.fromEntries(
  [
    rowCount,
    freshness,
    sql,
    canary,
    noOrphans,
    unique,
    notNull,
    constraints,
    amcheck,
    schemaCheck,
    command,
  ].map((c) => [c.kind, c as CheckKind]),
);
