import { configSchema, type Config } from "./config.js";
import { coverageProblems } from "./cross-check.js";
import type { Problem } from "./problems.js";
import { relativeTo } from "./project-files.js";
import { problemAt, readYamlFile, type YamlSource } from "./yaml.js";
import { parseWith } from "./zod-issues.js";

type Env = Record<string, string | undefined>;

const NAMED = { environments: "environment", channels: "channel" } as const;
const SINGLE = ["history", "timezone", "daemon", "coverage"] as const;

/**
 * Config may be split over several files in config/ (one per team, say). Each is checked on its
 * own, then merged; a name defined in two files is a problem rather than a silent override.
 */
export async function loadConfig(root: string, files: readonly string[], env: Env) {
  const problems: Problem[] = [];
  const config: Config = configSchema.parse({});
  const definedIn = new Map<string, string>();
  let coverageSource: YamlSource | undefined;
  for (const abs of files) {
    const file = relativeTo(root, abs);
    const read = await readYamlFile(abs, file, env);
    if (!read.ok) {
      problems.push(...read.problems);
      continue;
    }
    const source = read.source;
    const parsed = parseWith(configSchema, source);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const token = ["daemon", "metricsToken"];
    if (parsed.value.daemon.metricsToken !== undefined && source.written(token) === undefined) {
      problems.push(
        problemAt(
          source,
          token,
          'write the token as "${VARIABLE}" and set that variable: a token in a file ends up in the repository',
        ),
      );
    }
    for (const [key, what] of Object.entries(NAMED) as [keyof typeof NAMED, string][]) {
      for (const [name, value] of Object.entries(parsed.value[key])) {
        const id = `${key}.${name}`;
        const other = definedIn.get(id);
        if (other !== undefined) {
          problems.push(
            problemAt(source, [key, name], `${what} "${name}" is also defined in ${other}`, {
              key: true,
            }),
          );
          continue;
        }
        definedIn.set(id, file);
        (config[key] as Record<string, unknown>)[name] = value;
      }
    }
    for (const key of SINGLE) {
      if (!Object.hasOwn(source.data, key)) continue;
      const other = definedIn.get(key);
      if (other !== undefined) {
        problems.push(problemAt(source, [key], `${key} is also set in ${other}`, { key: true }));
        continue;
      }
      definedIn.set(key, file);
      if (key === "coverage") coverageSource = source;
      Object.assign(config, { [key]: parsed.value[key] });
    }
  }
  // Channels may be defined in another config file: checked once all are merged.
  if (coverageSource) problems.push(...coverageProblems(config, coverageSource));
  return { config, problems };
}
