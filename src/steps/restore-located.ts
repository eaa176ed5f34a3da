import { formatPath, formatProblem, type PathSegment } from "../definitions/problems.js";
import { problemAt } from "../definitions/yaml.js";
import { DrillError } from "../errors.js";
import type { RunResources } from "./types.js";

/**
 * A source that only the backup tool can judge (an unknown pgBackRest label, a Barman backup
 * after the target, a missing tar) is found while planning, not while validating; it is still the
 * drill's mistake, so its line names where the drill says it: `drills/x.yaml:7:9
 * steps[0].restore.from.pgbackrest.set: …`. Sources say which key they mean by starting their
 * message with it (`pgbackrest.set: …`, `from.basebackup.base: …`, `target: …`).
 */
const KEY =
  /^((?:from\.)?(?:pgbackrest|barman|basebackup|snapshot|archive|pointInTime)(?:\.[A-Za-z]+)*|target(?:\.[A-Za-z]+)?): /;

export function locateRestoreError(
  e: unknown,
  stepPath: readonly PathSegment[],
  resources: Pick<RunResources, "drillSource">,
): unknown {
  if (!(e instanceof DrillError) || e.kind !== "input") return e;
  const m = KEY.exec(e.message);
  const keys = m ? m[1]!.split(".") : ["from"];
  const path: PathSegment[] = [
    ...stepPath,
    ...(keys[0] === "from" || keys[0] === "target" ? keys : ["from", ...keys]),
  ];
  const message = m ? e.message.slice(m[0].length) : e.message;
  const src = resources.drillSource;
  const line = formatProblem(
    src?.locate
      ? problemAt({ file: src.file, locate: src.locate }, path, message)
      : { file: src?.file ?? "", path: formatPath(path), message },
  );
  return new DrillError("input", e.code, line, { ...(e.hint ? { hint: e.hint } : {}), cause: e });
}
