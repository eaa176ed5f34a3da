import { Writable } from "node:stream";
import type { Command, Option } from "commander";
import type { Io } from "../cli/io.js";
import { program } from "../cli/program.js";
import { COMMAND_EXIT_CODES, EXIT_CODES } from "./exit-codes.js";
import { cell, code, prose, table } from "./markdown.js";
import type { Documented, Section } from "./tables.js";

/** The command tree with nowhere to write: building it runs no action and loads no command module. */
function commandTree(): Command {
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const io: Io = {
    stdout: sink,
    stderr: sink,
    env: {},
    cwd: ".",
    signal: new AbortController().signal,
  };
  return program(io, () => {});
}

/** Commands that do something, depth first: `scrubber` only groups `scrubber init`. */
function leaves(cmd: Command, parents: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((sub) => {
    const path = [...parents, sub.name()];
    return sub.commands.length > 0 ? leaves(sub, path) : [{ path, cmd: sub }];
  });
}

const isHelp = (o: Option) => o.long === "--help";

/**
 * Commander refuses these together; say so where the option is read about. `conflictsWith` is
 * set by `Option.conflicts()` but missing from commander's typings.
 */
const conflicts = (o: Option): string => {
  const others = (o as Option & { conflictsWith?: string[] }).conflictsWith ?? [];
  return others.length > 0 ? ` (not with ${others.map((c) => code(`--${c}`)).join(", ")})` : "";
};

const defaultText = (v: unknown): string =>
  v === undefined ? "" : code(typeof v === "string" ? v : JSON.stringify(v));

const choicesText = (choices: readonly string[] | undefined): string =>
  choices ? choices.map(code).join(", ") : "";

/** A table without the Default and Allowed columns when no row has one. */
function sparseTable(headers: string[], rows: string[][], optional: number[]): string {
  const keep = headers.map((_, i) => !optional.includes(i) || rows.some((r) => r[i] !== ""));
  const pick = (cells: string[]) => cells.filter((_, i) => keep[i]);
  return table(pick(headers), rows.map(pick));
}

function optionsTable(options: readonly Option[]): string {
  return sparseTable(
    ["Option", "Description", "Default", "Allowed"],
    options.map((o) => [
      code(o.flags),
      cell(prose(o.description) + conflicts(o)),
      defaultText(o.defaultValue),
      choicesText(o.argChoices),
    ]),
    [2, 3],
  );
}

const exitTable = (codes: readonly [number, string][]) =>
  table(
    ["Exit code", "Meaning"],
    codes.map(([c, meaning]) => [code(String(c)), cell(meaning)]),
  );

/** One section per command: usage, arguments, options and exit codes, from the commander tree. */
export function commandDocs(): Documented {
  const root = commandTree();
  const help = root.createHelp();
  const undocumented: string[] = [];
  const globals = help.visibleOptions(root);
  const intro = [
    prose(root.description()),
    "Global options:",
    optionsTable(globals),
    "Every command exits with one of these codes; each command below lists those it uses:",
    exitTable(EXIT_CODES),
  ].join("\n\n");
  const sections: Section[] = [{ level: 2, title: "Commands", body: intro }];

  for (const { path, cmd } of leaves(root)) {
    const name = path.join(" ");
    const parts = [prose(cmd.description()), "```\n" + help.commandUsage(cmd) + "\n```"];
    if (cmd.description() === "") undocumented.push(`command ${name}`);
    const args = cmd.registeredArguments;
    if (args.length > 0) {
      parts.push(
        sparseTable(
          ["Argument", "Description", "Required", "Default", "Allowed"],
          args.map((a) => [
            code(`${a.name()}${a.variadic ? "..." : ""}`),
            cell(prose(a.description)),
            a.required ? "yes" : "no",
            defaultText(a.defaultValue),
            choicesText(a.argChoices),
          ]),
          [3, 4],
        ),
      );
      for (const a of args.filter((a) => a.description === "")) {
        undocumented.push(`command ${name}: argument ${a.name()}`);
      }
    }
    const options = cmd.options.filter((o) => !o.hidden && !isHelp(o));
    if (options.length > 0) parts.push(optionsTable(options));
    for (const o of options.filter((o) => o.description === "")) {
      undocumented.push(`command ${name}: option ${o.flags}`);
    }
    const codes = COMMAND_EXIT_CODES[name];
    if (codes) parts.push(exitTable(codes));
    else undocumented.push(`command ${name}: exit codes (src/docs/exit-codes.ts)`);
    sections.push({ level: 3, title: `drill ${name}`, body: parts.join("\n\n") });
  }
  return { sections, undocumented };
}
