/** ANSI styling, off when the stream is not a terminal or NO_COLOR is set. */
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    const id = (s: string) => s;
    return { green: id, red: id, yellow: id, dim: id, bold: id };
  }
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

export const OUTCOME_MARK: Record<string, string> = {
  passed: "✔",
  failed: "✘",
  error: "✘",
  interrupted: "■",
  skipped: "-",
};

export function colourOutcome(style: Style, outcome: string, text = outcome): string {
  if (outcome === "passed") return style.green(text);
  if (outcome === "skipped") return style.dim(text);
  if (outcome === "interrupted") return style.yellow(text);
  return style.red(text);
}
