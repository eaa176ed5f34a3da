import type { RunResources } from "../steps/types.js";
import type { ScrubberSource } from "./plan.js";

/** The scrubber's file (and rule positions, when loaded from one) for messages. */
export const scrubberSourceOf = (
  name: string,
  resources: Pick<RunResources, "scrubberSources">,
): ScrubberSource => resources.scrubberSources?.get(name) ?? { file: `scrubbers/${name}.yaml` };
