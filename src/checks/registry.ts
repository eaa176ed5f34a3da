import { rowCount } from "./row-count.js";
import { sql } from "./sql.js";
import type { CheckKind } from "./types.js";

/** Every check kind `verify` knows. Later issues add freshness, noOrphans, amcheck, … here. */
export const checkKinds: Record<string, CheckKind> = {
  [rowCount.kind]: rowCount as CheckKind,
  [sql.kind]: sql as CheckKind,
};
