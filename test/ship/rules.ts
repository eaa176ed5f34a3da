import { PassThrough } from "node:stream";
import {
  Copy,
  DockerfileParser,
  From,
  JSONInstruction,
  type Dockerfile,
  type Instruction,
} from "dockerfile-ast";
import type { Io } from "../../src/cli/io.js";
import { program } from "../../src/cli/program.js";

/**
 * The rules the container and deployment files are held to, as functions returning problems (one
 * line each; none is good), so each rule is also tested against a file that breaks it.
 */

/** Names that hold credentials; such an ARG/ENV must not carry a value in the image. */
export const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|PRIVATE|ACCESS_KEY|API_KEY)/i;

/** drill's commands and their long options, from the real command tree. */
export function cliCommands(): Map<string, string[]> {
  const sink = new PassThrough();
  const io: Io = { stdout: sink, stderr: sink, env: {}, cwd: "/", signal: AbortSignal.abort() };
  const cli = program(io, () => {});
  return new Map(
    cli.commands.map((c) => [
      c.name(),
      c.options.map((o) => o.long).filter((l) => l !== undefined),
    ]),
  );
}

interface Stage {
  name: string | null;
  instructions: Instruction[];
}

function stagesOf(file: Dockerfile): Stage[] {
  const stages: Stage[] = [];
  for (const i of file.getInstructions()) {
    if (i instanceof From) stages.push({ name: i.getBuildStage(), instructions: [] });
    stages.at(-1)?.instructions.push(i);
  }
  return stages;
}

/** A JSON-form instruction's argv (CMD ["drill", "daemon"]); shell form counts as one string. */
const argv = (i: Instruction | undefined): string[] =>
  i === undefined
    ? []
    : i instanceof JSONInstruction && i.getJSONStrings().length > 0
      ? i.getJSONStrings().map((s) => s.getJSONValue())
      : [i.getArgumentsContent() ?? ""];

export interface DockerfileRules {
  /** The daemon's default port: EXPOSE and HEALTHCHECK use it. */
  port: number;
  /** package.json "files": what the package needs at run time. */
  files?: string[];
}

export function dockerfileProblems(text: string, opts: DockerfileRules): string[] {
  const problems: string[] = [];
  const file = DockerfileParser.parse(text);
  const stages = stagesOf(file);
  if (stages.length < 2)
    problems.push(`${stages.length} stage(s): build and runtime must be apart`);
  if (stages.some((s) => s.name === null)) problems.push("every stage needs a name (FROM … AS x)");
  const final = stages.at(-1)?.instructions ?? [];
  const last = (kw: string) => final.filter((i) => i.getKeyword() === kw).at(-1);
  const index = (i: Instruction | undefined) => (i ? final.indexOf(i) : -1);

  const user = last("USER");
  const who = (user?.getArgumentsContent() ?? "").split(":")[0]!.trim();
  if (!user) problems.push("the runtime stage sets no USER: it would run as root");
  else if (who === "root" || who === "0") problems.push(`USER ${who} is root`);
  const start = Math.min(...[last("CMD"), last("ENTRYPOINT")].filter(Boolean).map(index));
  if (user && index(user) > start) problems.push("USER comes after CMD/ENTRYPOINT");

  for (const i of final) {
    const from = i instanceof Copy ? i.getFromFlag()?.getValue() : undefined;
    const content = i.getArgumentsContent() ?? "";
    if (from && /node_modules/.test(content))
      problems.push(`copies ${from}'s node_modules (dev dependencies too): ${content}`);
  }
  // Every source of a COPY (all arguments but the destination), by its last path component.
  const copied = final
    .filter((i) => i instanceof Copy)
    .flatMap((i) => i.getArguments().slice(0, -1))
    .map((a) => a.getValue().replace(/\/$/, "").split("/").at(-1));
  for (const f of opts.files ?? [])
    if (!copied.includes(f))
      problems.push(`the runtime stage does not copy ${f}/ (package.json files)`);
  const runs = final.filter((i) => i.getKeyword() === "RUN").map((i) => i.getArgumentsContent());
  if (!runs.some((r) => /\bnpm ci\b[^&;]*--omit=dev/.test(r ?? "")))
    problems.push("the runtime stage does not install production dependencies (npm ci --omit=dev)");
  // The image's npm may predate allowScripts: each install skips scripts, and the one package
  // that needs its script gets it by name (npm rebuild <package>).
  for (const i of file.getInstructions().filter((i) => i.getKeyword() === "RUN"))
    for (const ci of (i.getArgumentsContent() ?? "").match(/\bnpm ci\b[^&;]*/g) ?? [])
      if (!ci.includes("--ignore-scripts"))
        problems.push(`${ci.trim()} runs every dependency's install script (add --ignore-scripts)`);

  // A tag can be moved to other content; a digest cannot.
  const stageNames = new Set(stages.map((s) => s.name));
  for (const from of file.getFROMs()) {
    const image = from.getImage() ?? "";
    if (stageNames.has(image)) continue;
    if (!/^sha256:[0-9a-f]{64}$/.test(from.getImageDigest() ?? ""))
      problems.push(`FROM ${image} is not pinned by digest (@sha256:…)`);
  }

  const health = last("HEALTHCHECK")?.getArgumentsContent() ?? "";
  if (!health.includes("/healthz")) problems.push("no HEALTHCHECK on /healthz");
  else if (!health.includes(`:${opts.port}/`))
    problems.push(`HEALTHCHECK not on port ${opts.port}`);

  const command = [...argv(last("ENTRYPOINT")), ...argv(last("CMD"))];
  const at = command.indexOf("drill");
  if (at < 0 || command[at + 1] !== "daemon")
    problems.push(`ENTRYPOINT + CMD run ${JSON.stringify(command)}, not drill daemon`);
  // The daemon's default 127.0.0.1 is unreachable from outside the container.
  else if (command[command.indexOf("--host") + 1] !== "0.0.0.0")
    problems.push("the daemon does not listen on 0.0.0.0 (--host 0.0.0.0)");

  const values = [
    ...file.getARGs().map((a) => ["ARG", a.getProperty()] as const),
    ...file.getENVs().flatMap((e) => e.getProperties().map((p) => ["ENV", p] as const)),
  ];
  for (const [kw, p] of values)
    if (p && SECRET_NAME.test(p.getName()) && p.getValue())
      problems.push(`${kw} ${p.getName()} has a value`);
  const exposed = final
    .filter((i) => i.getKeyword() === "EXPOSE")
    .flatMap((i) => (i.getArgumentsContent() ?? "").split(/\s+/));
  if (!exposed.some((p) => p.replace(/\/tcp$/, "") === String(opts.port)))
    problems.push(`EXPOSE ${exposed.join(" ")} does not include the daemon's port ${opts.port}`);
  return problems;
}

/** A value that may hold a password must come from the environment: ${VAR} or ${VAR:-default}. */
const FROM_ENV = /^\$\{[A-Z_][A-Z0-9_]*(:-[^}]*)?\}$/;

/** Compose environment entries whose name or URL holds a literal password. */
export function composeSecretProblems(env: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const text = String(value);
    if (SECRET_NAME.test(name) && !FROM_ENV.test(text)) problems.push(`${name} is a literal`);
    // postgres://user:password@host: the password part too.
    const password = /:\/\/[^:/@]+:([^@]*)@/.exec(text)?.[1];
    if (password !== undefined && !FROM_ENV.test(password))
      problems.push(`${name} has a literal password in its URL`);
  }
  return problems;
}

/**
 * `drill <command> [--option]` in a shell line (`npx drill run x`, `drill report latest …`),
 * where a command may start: a line's start, after `;`, `&&`, `||` or `$(`.
 */
export function shellInvocations(text: string): string[][] {
  const found: string[][] = [];
  // Within one line: [ \t], never \s, which would run on into the next command.
  const re = /(?:^|;|&&|\|\||\$\()[ \t]*(?:npx[ \t]+)?drill\b((?:[ \t]+[^\s;&|>)]+)*)/gm;
  for (const [, rest] of text.matchAll(re)) found.push(rest!.trim().split(/\s+/));
  return found;
}

/** Each invocation whose command or long option the CLI does not have. */
export function unknownInvocations(calls: string[][], commands: Map<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [command, ...args] of calls) {
    const options = commands.get(command ?? "");
    if (!options) problems.push(`drill ${command}: no such command`);
    for (const flag of args.filter((a) => a.startsWith("--")))
      if (options && !options.includes(flag.split("=")[0]!))
        problems.push(`drill ${command} ${flag}: no such option`);
  }
  return problems;
}
