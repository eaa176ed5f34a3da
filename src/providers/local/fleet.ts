import type { Resource } from "../../coverage/model.js";

/**
 * What a local environment can see of its own: the sandbox's production cluster. Archives and
 * backups it restores from are named by the drills, not found here.
 */
export function listLocalFleet(): Pick<Resource, "kind" | "id">[] {
  return [{ kind: "sandbox", id: "production" }];
}
