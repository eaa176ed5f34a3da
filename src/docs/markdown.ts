/** Small Markdown builders for the generated reference: tables, code, headings and their anchors. */

/** Inline code that survives any content (backticks inside get a longer fence). */
export function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Table cell text: one line, no column breaks, no raw HTML (`<name>` would vanish). */
export function cell(text: string | undefined): string {
  if (text === undefined) return "";
  return text
    .replace(/\s*\n\s*/g, " ")
    .replace(/\|/g, "\\|")
    .trim();
}

/**
 * Escape prose outside code spans: `<placeholder>` would render as an unknown HTML tag, while
 * inside a code span an entity would show as typed.
 */
export const prose = (text: string): string =>
  text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;")))
    .join("");

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens. Headings here are
 * unique, so the "-1" suffixes GitHub adds to repeated headings never arise.
 */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

export const link = (text: string, heading: string): string => `[${text}](#${slug(heading)})`;

/** A heading's text as GitHub sees it for its anchor: code spans count as their content. */
export const headingText = (markdown: string): string => markdown.replace(/`/g, "");
