import { exampleConfig } from "./config.js";
import { exampleDrill } from "./drill.js";
import { exampleScrubber } from "./scrubber.js";

/** One file `drill init` writes: where (relative to the project root), what it is for, its text. */
export interface ExampleFile {
  path: string;
  what: string;
  text: string;
}

/** The example drill's name, for the next commands `drill init` prints. */
export const EXAMPLE_DRILL_NAME = "example";

/** In the order they depend on each other: config, then the scrubber, then the drill using both. */
export const EXAMPLE_FILES: readonly ExampleFile[] = [exampleConfig, exampleScrubber, exampleDrill];
