import { jsonSchemas } from "../definitions/json-schema.js";
import { commandDocs } from "./commands.js";
import { drillDocs } from "./drill-files.js";
import type { JsonNode } from "./json-node.js";
import { headingText, link, slug } from "./markdown.js";
import { configDocs, scrubberDocs } from "./scrubber-config-files.js";
import type { Documented, Section } from "./tables.js";

/** The file the reference is kept in, and the command that rewrites it from the code. */
export const REFERENCE_FILE = "docs/reference.md";
export const REFERENCE_COMMAND = "npm run docs";

/**
 * Every part of the reference, built from what the code already knows: the commander tree
 * (commands, arguments, options) and the JSON Schemas of the three file kinds (their keys,
 * types, defaults and `.meta({ description })`). Nothing here is written by hand but intros.
 */
function parts(): Documented {
  const schemas = jsonSchemas() as Record<"drill" | "scrubber" | "config", JsonNode>;
  const all = [
    commandDocs(),
    drillDocs(schemas.drill),
    scrubberDocs(schemas.scrubber),
    configDocs(schemas.config),
  ];
  return {
    sections: all.flatMap((d) => d.sections),
    undocumented: all.flatMap((d) => d.undocumented),
  };
}

/** Keys, kinds, commands and options that have no description, one `where: what` line each. */
export const undocumented = (): string[] => parts().undocumented;

/** docs/reference.md: a table of contents, then every section. Pure: same code, same text. */
export function referenceMarkdown(): string {
  const { sections } = parts();
  const anchors = new Set<string>();
  for (const s of sections) {
    const anchor = slug(headingText(s.title));
    // Links point at anchors by title: two equal titles would send both links to the first.
    if (anchors.has(anchor)) throw new Error(`reference: two sections have the anchor #${anchor}`);
    anchors.add(anchor);
  }
  return [
    "# drill reference",
    `Generated from the command tree and the JSON Schemas of drill, scrubber and config files by \`${REFERENCE_COMMAND}\`: do not edit by hand. The [README](../README.md) explains how it all fits together.`,
    "## Contents",
    contents(sections),
    ...sections.map((s) => `${"#".repeat(s.level)} ${s.title}\n\n${s.body}`),
  ]
    .join("\n\n")
    .concat("\n");
}

/** Level-2 sections with their level-3 ones nested, as links. */
function contents(sections: Section[]): string {
  return sections
    .map((s) => `${s.level === 2 ? "-" : "  -"} ${link(s.title, headingText(s.title))}`)
    .join("\n");
}
