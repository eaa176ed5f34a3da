import { z } from "zod";
import { configSchema } from "./config.js";
import { drillSchema } from "./drill.js";
import { scrubberSchema } from "./scrubber.js";

export type SchemaKind = "drill" | "scrubber" | "config";
export const SCHEMA_KINDS: readonly SchemaKind[] = ["drill", "scrubber", "config"];

const TITLES: Record<SchemaKind, string> = {
  drill: "drill: a disaster-recovery drill (drills/*.yaml)",
  scrubber: "drill: how a database's columns are made safe (scrubbers/*.yaml)",
  config: "drill: environments, history and channels (config/*.yaml)",
};

/**
 * JSON Schemas of what users write, for editors (yaml-language-server). `io: "input"` describes
 * the file as written: durations are strings such as "45m", defaults may be left out.
 * Refinements (one restore per drill, exactly one step kind) cannot be expressed here;
 * `drill validate` checks them.
 */
export function jsonSchemas(): Record<SchemaKind, object> {
  const one = (kind: SchemaKind, schema: z.ZodType) => ({
    ...(allowEnvReference(
      z.toJSONSchema(schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }),
    ) as object),
    $id: `https://drill.dev/schema/${kind}.schema.json`,
    title: TITLES[kind],
  });
  return {
    drill: one("drill", drillSchema),
    scrubber: one("scrubber", scrubberSchema),
    config: one("config", configSchema),
  };
}

/**
 * Any string value may be written as `${VAR}` and filled from the environment at load time, so an
 * editor must not flag `webhookUrl: "${SLACK_WEBHOOK_URL}"` for not looking like a URL. Keys are
 * never interpolated: `propertyNames` keep their pattern.
 */
function allowEnvReference(node: unknown, key?: string): unknown {
  if (Array.isArray(node)) return node.map((n) => allowEnvReference(n));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = allowEnvReference(v, k);
  const constrained = out.format !== undefined || out.pattern !== undefined;
  if (out.type !== "string" || !constrained || key === "propertyNames") return out;
  // Description and default describe the key, whichever way it is written: editors read them there.
  const { description, default: fallback, ...rest } = out;
  return {
    ...(description !== undefined ? { description } : {}),
    ...(fallback !== undefined ? { default: fallback } : {}),
    anyOf: [rest, { type: "string", pattern: ENV_REFERENCE }],
  };
}
export const ENV_REFERENCE = "\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}";

/** As committed under schema/: stable formatting, newline at the end. */
export const schemaText = (schema: object): string => `${JSON.stringify(schema, null, 2)}\n`;
