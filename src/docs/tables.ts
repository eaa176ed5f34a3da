import type { Field } from "./fields.js";
import { cell, code, headingText, link, prose, table } from "./markdown.js";

/** A part of the reference: its heading level, title (Markdown) and body. */
export interface Section {
  level: 2 | 3;
  title: string;
  body: string;
}

/** Sections plus what they left undescribed, as `where: path` lines for the test to list. */
export interface Documented {
  sections: Section[];
  undocumented: string[];
}

/** An options table (`body`) and the sections of its keys' shapes, to follow it. */
export interface Tables extends Documented {
  body: string;
}

const variantTitle = (path: string, label: string) => `${code(path)} with ${code(label)}`;

/**
 * The options table of `fields`, and a level-3 section per shape of each key that has several
 * (`environments.<name>` with `provider: local`, …). Rows without a description are reported.
 */
export function fieldTables(fields: Field[], where: string): Tables {
  const undocumented: string[] = [];
  const sections: Section[] = [];
  const rows = fields.map((f) => {
    if (f.description === undefined) undocumented.push(`${where}: ${f.path}`);
    const type = f.variants
      ? `one of: ${f.variants.variants
          .map((v) => link(code(v.label), headingText(variantTitle(f.path, v.label))))
          .join(", ")}`
      : f.type;
    return [
      code(f.path),
      cell(type),
      f.required ? "yes" : "",
      cell(f.default),
      cell(prose(f.description ?? "")),
    ];
  });
  for (const f of fields) {
    for (const v of f.variants?.variants ?? []) {
      if (v.description === undefined) undocumented.push(`${where}: ${f.path} (${v.label})`);
      const nested = fieldTables(v.fields, `${where} (${v.label})`);
      const intro = v.description ? `${prose(v.description)}\n\n` : "";
      sections.push(
        { level: 3, title: variantTitle(f.path, v.label), body: `${intro}${nested.body}` },
        ...nested.sections,
      );
      undocumented.push(...nested.undocumented);
    }
  }
  return { body: optionsTable(rows), sections, undocumented };
}

const optionsTable = (rows: string[][]): string =>
  rows.length === 0
    ? "No options."
    : table(["Key", "Type", "Required", "Default", "Description"], rows);
