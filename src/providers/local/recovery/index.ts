import type { PhysicalBackupSource } from "../../types.js";
import { barmanSource } from "./barman.js";
import { basebackupSource } from "./basebackup.js";
import { pgbackrestSource } from "./pgbackrest.js";
import type { PhysicalSource } from "./types.js";

export { restoreBackup, type RecoveryContext, type RecoveryDetails } from "./recover.js";
export { binariesForMajor } from "./versions.js";
export type { BackupPlan, PhysicalSource } from "./types.js";

export interface SourceContext {
  /** Project root (for sources that keep a spool or a config beside the project). */
  root: string;
  now(): number;
}

/** The PhysicalSource for a drill's `from`: one entry per backup kind. */
export function physicalSource(source: PhysicalBackupSource, ctx: SourceContext): PhysicalSource {
  switch (source.kind) {
    case "basebackup":
      return basebackupSource(source, ctx.now);
    case "pgbackrest":
      return pgbackrestSource(source);
    case "barman":
      return barmanSource(source, { now: ctx.now });
  }
}
