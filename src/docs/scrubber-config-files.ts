import { at } from "./drill-files.js";
import { walk } from "./fields.js";
import { branches, descriptionOf, propertiesOf, type JsonNode } from "./json-node.js";
import { code, link, prose } from "./markdown.js";
import { fieldTables, type Documented, type Section } from "./tables.js";

const RULE = link("rule", "Transformers");

const SCRUBBER_INTRO = `A scrubber is one YAML file in \`scrubbers/\`, named by its file name: how every column of a database is made safe. A drill's \`scrub\` step names it.`;

const TRANSFORMERS_INTRO = `A column's rule, \`tables.<table>.<column>\` in a scrubber: \`keep\`, \`null\`, or a mapping with one transformer key and its options, such as \`email: { fake: internet.email, unique: true }\`.`;

const CONFIG_INTRO = `Every YAML file in \`config/\` is read and merged: where production lives and the limits of its staging copies (\`environments\`), where run records go (\`history\`), where runs are posted (\`channels\`) and how \`drill daemon\` runs.`;

/** Scrubber files and every transformer a column rule can use. */
export function scrubberDocs(scrubber: JsonNode): Documented {
  const top = fieldTables(
    walk(scrubber, scrubber, {
      keys: { tables: "<table>", "tables.<table>": "<column>", allowPatterns: "<table.column>" },
      types: { tables: "map of tables", "tables.<table>": "map of columns" },
      stop: { "tables.<table>.<column>": RULE },
    }),
    "scrubber",
  );
  const rule = at(scrubber, scrubber, "properties", "tables", "additionalProperties");
  const transformers = transformerSections(at(rule, scrubber, "additionalProperties"), scrubber);
  return {
    sections: [
      { level: 2, title: "Scrubber files", body: `${SCRUBBER_INTRO}\n\n${top.body}` },
      ...top.sections,
      { level: 2, title: "Transformers", body: TRANSFORMERS_INTRO },
      ...transformers.sections,
    ],
    undocumented: [...top.undocumented, ...transformers.undocumented],
  };
}

/** `keep`, `null`, then each transformer by its key, in the order the schema lists them. */
function transformerSections(rule: JsonNode, root: JsonNode): Documented {
  const out: Documented = { sections: [], undocumented: [] };
  for (const branch of branches(rule, root)) {
    const key = propertiesOf(branch)[0]?.[0];
    const name = branch.const !== undefined ? String(branch.const) : (key ?? String(branch.type));
    const description = descriptionOf(branch);
    if (description === undefined) out.undocumented.push(`transformer ${name}`);
    let body = description ? prose(description) : "";
    const nested: Section[] = [];
    if (key === undefined) {
      body += `\n\nWrite it as the rule itself: ${code(`column: ${name}`)}.`;
    } else {
      const tables = fieldTables(
        walk(branch, root, {
          keys: { json: "<path>" },
          types: { json: "map of rules" },
          stop: { "json.<path>": `${RULE} (any but json)` },
        }),
        `transformer ${name}`,
      );
      body += `\n\n${tables.body}`;
      nested.push(...tables.sections);
      out.undocumented.push(...tables.undocumented);
    }
    out.sections.push({ level: 3, title: code(name), body: body.trim() }, ...nested);
  }
  return out;
}

/** Config files: every key path, with a section per environment provider and history store. */
export function configDocs(config: JsonNode): Documented {
  const tables = fieldTables(
    walk(config, config, {
      keys: { "channels.<name>.webhook.headers": "<header>" },
      types: { environments: "map of environments", channels: "map of channels" },
    }),
    "config",
  );
  const sections: Section[] = [
    { level: 2, title: "Config", body: `${CONFIG_INTRO}\n\n${tables.body}` },
    ...tables.sections,
  ];
  return { sections, undocumented: tables.undocumented };
}
