import { formatDuration } from "../duration.js";
import { isStepKindName, stepKinds } from "../steps/registry.js";
import { walk } from "./fields.js";
import { descriptionOf, propertiesOf, resolve, type JsonNode } from "./json-node.js";
import { code, link, prose } from "./markdown.js";
import { fieldTables, type Documented, type Section } from "./tables.js";

/** The node at `keys` under `node`, or an error naming where the schema no longer fits. */
export function at(node: JsonNode, root: JsonNode, ...keys: string[]): JsonNode {
  let n = resolve(node, root);
  for (const key of keys) {
    const next = n[key];
    if (typeof next !== "object" || next === null) {
      throw new Error(`reference: the JSON Schema has no ${keys.join(".")} (at ${key})`);
    }
    n = resolve(next as JsonNode, root);
  }
  return n;
}

/**
 * One section per kind of a `oneOf` list (steps, checks): `kinds` is the object whose keys are
 * the kinds, each with its description, then its options.
 * `extra` adds per-kind walk options (a step's default timeout).
 */
export function kindSections(
  kinds: JsonNode,
  root: JsonNode,
  what: "step" | "check",
  extra: (kind: string) => Parameters<typeof walk>[2] = () => ({}),
): Documented {
  const out: Documented = { sections: [], undocumented: [] };
  for (const [kind, node] of propertiesOf(kinds)) {
    const description = descriptionOf(resolve(node, root));
    if (description === undefined) out.undocumented.push(`${what} ${kind}`);
    const tables = fieldTables(walk(node, root, extra(kind)), `${what} ${kind}`);
    const intro = description ? `${prose(description)}\n\n` : "";
    out.sections.push({ level: 3, title: code(kind), body: `${intro}${tables.body}` });
    out.sections.push(...tables.sections);
    out.undocumented.push(...tables.undocumented);
  }
  return out;
}

const DRILL_INTRO = `A drill is one YAML file in \`drills/\`, named like the drill: what to restore, how to prove the copy is good, how fast recovery must be, and where to report. Any string value may be written as \`\${NAME}\` to read the environment variable \`NAME\`.`;

const STEPS_INTRO = `Each item of a drill's \`steps\` is a mapping with one key, the step kind: \`- restore: { from: { snapshot: latest } }\`. Steps run in order; after a failed step the rest are skipped. \`cleanup\` always runs last, also after a failure, a timeout or Ctrl-C, whether it is written or not. Every step takes \`name\` and \`timeout\`.`;

const CHECKS_INTRO = `Each item of a \`verify\` step's \`checks\` is a mapping with one key, the check kind: \`- rowCount: { table: orders, min: 1000 }\`. SQL checks run in a read-only transaction with the step's \`checkTimeout\`; a check that errors does not stop the others.`;

/** Drill files: their keys, then every step kind, then every check kind. */
export function drillDocs(drill: JsonNode): Documented {
  const stepsNode = at(drill, drill, "properties", "steps", "items");
  const checksNode = at(stepsNode, drill, "properties", "verify", "properties", "checks", "items");

  const top = fieldTables(
    walk(drill, drill, { stop: { steps: `list of ${link("steps", "Steps")}` } }),
    "drill",
  );
  const steps = kindSections(stepsNode, drill, "step", (kind) => ({
    stop: { checks: `list of ${link("checks", "Checks")}` },
    defaults: {
      timeout: code(formatDuration(isStepKindName(kind) ? stepKinds[kind].defaultTimeoutMs : 0)),
    },
  }));
  const checks = kindSections(checksNode, drill, "check");
  const sections: Section[] = [
    { level: 2, title: "Drill files", body: `${DRILL_INTRO}\n\n${top.body}` },
    ...top.sections,
    { level: 2, title: "Steps", body: STEPS_INTRO },
    ...steps.sections,
    { level: 2, title: "Checks", body: CHECKS_INTRO },
    ...checks.sections,
  ];
  return {
    sections,
    undocumented: [...top.undocumented, ...steps.undocumented, ...checks.undocumented],
  };
}
