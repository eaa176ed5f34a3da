import { duration } from "../definitions/common.js";
import { ENV_REFERENCE } from "../definitions/json-schema.js";
import { DURATION_PATTERN } from "../duration.js";
import { code } from "./markdown.js";

/**
 * Reading the JSON Schema `drill schema` publishes, for the reference: the editor's view of a
 * file is the user's view, so the reference documents exactly what an editor would accept.
 */
export type JsonNode = { [key: string]: unknown };

const isNode = (v: unknown): v is JsonNode => typeof v === "object" && v !== null;
const nodes = (v: unknown): JsonNode[] => (Array.isArray(v) ? v.filter(isNode) : []);

/** Every duration shares this description; a field that shows only it says nothing of its own. */
export const GENERIC_DURATION = duration.description;

/**
 * The node a field really is: `$ref`s followed (within `root`) and the `${VAR}` alternative that
 * json-schema.ts adds beside constrained strings dropped. The outer description wins.
 */
export function resolve(node: JsonNode, root: JsonNode): JsonNode {
  let n = node;
  for (let hops = 0; typeof n.$ref === "string" && hops < 32; hops++) {
    const { $ref, ...rest } = n;
    const target = ($ref as string)
      .replace(/^#\/?/, "")
      .split("/")
      .filter(Boolean)
      .reduce<unknown>((at, key) => (isNode(at) ? at[key.replace(/~1/g, "/")] : undefined), root);
    n = { ...(isNode(target) ? target : {}), ...rest };
  }
  const alternatives = nodes(n.anyOf);
  const env = alternatives.findIndex((a) => a.pattern === ENV_REFERENCE);
  if (alternatives.length === 2 && env !== -1) {
    const { anyOf: _, ...outer } = n;
    return { ...resolve(alternatives[1 - env]!, root), ...outer };
  }
  return n;
}

/** A union's alternatives, nested unions flattened; a node that is no union is its only one. */
export function branches(node: JsonNode, root: JsonNode): JsonNode[] {
  const n = resolve(node, root);
  const alternatives = [...nodes(n.anyOf), ...nodes(n.oneOf)];
  if (alternatives.length === 0) return [n];
  return alternatives.flatMap((a) => branches(a, root));
}

const isObjectNode = (n: JsonNode) => n.type === "object" || isNode(n.properties);

/** The alternatives that are objects with keys of their own: their keys become rows. */
export const objectBranches = (node: JsonNode, root: JsonNode): JsonNode[] =>
  branches(node, root).filter((b) => isObjectNode(b));

export const propertiesOf = (n: JsonNode): [string, JsonNode][] =>
  isNode(n.properties)
    ? Object.entries(n.properties).filter((e): e is [string, JsonNode] => isNode(e[1]))
    : [];

export const requiredOf = (n: JsonNode): string[] =>
  Array.isArray(n.required) ? n.required.filter((r) => typeof r === "string") : [];

export const mapValueOf = (n: JsonNode): JsonNode | undefined =>
  isNode(n.additionalProperties) ? n.additionalProperties : undefined;

export const itemsOf = (n: JsonNode): JsonNode | undefined =>
  isNode(n.items) ? n.items : undefined;

/**
 * The key whose constant tells object alternatives apart (`provider: local | aws`), when every
 * alternative has one with a different value.
 */
export function discriminator(alternatives: JsonNode[]): string | undefined {
  if (alternatives.length < 2) return undefined;
  const [first, ...rest] = alternatives.map((a) => propertiesOf(a));
  const key = first!.find(([, p]) => p.const !== undefined)?.[0];
  if (!key) return undefined;
  const values = alternatives.map((a) => constOf(a, key));
  const distinct = new Set(values).size === values.length && !values.includes(undefined);
  return distinct && rest.length > 0 ? key : undefined;
}

export const constOf = (n: JsonNode, key: string): unknown =>
  (propertiesOf(n).find(([k]) => k === key)?.[1] ?? {}).const;

const literal = (v: unknown) => code(typeof v === "string" ? v : JSON.stringify(v));

/** The type as a reader wants it: allowed values and ranges included, Markdown. */
export function typeOf(node: JsonNode, root: JsonNode): string {
  const alternatives = branches(node, root);
  if (alternatives.length > 1) {
    return [...new Set(alternatives.map((a) => typeOf(a, root)))].join(" | ");
  }
  const n = alternatives[0]!;
  if (n.const !== undefined) return literal(n.const);
  if (Array.isArray(n.enum)) return n.enum.map(literal).join(" | ");
  if (Array.isArray(n.type)) return n.type.join(" | ");
  if (Array.isArray(n.prefixItems)) {
    return `[${nodes(n.prefixItems)
      .map((i) => typeOf(i, root))
      .join(", ")}]`;
  }
  switch (n.type) {
    case "string":
      if (n.pattern === DURATION_PATTERN.source) return "duration";
      if (n.format === "date-time") return "time (ISO 8601)";
      if (n.format === "uri") return "URL";
      return "string";
    case "integer":
    case "number":
      return [n.type, range(n)].filter(Boolean).join(", ");
    case "array": {
      const items = itemsOf(n);
      const least =
        typeof n.minItems === "number" && n.minItems > 0 ? `, at least ${n.minItems}` : "";
      return `list of ${items ? typeOf(items, root) : "any"}${least}`;
    }
    case "object": {
      const value = mapValueOf(n);
      return value ? `map of ${typeOf(value, root)}` : "object";
    }
    case undefined:
      return "any";
    default:
      return String(n.type);
  }
}

function range(n: JsonNode): string {
  const parts: string[] = [];
  if (typeof n.minimum === "number") parts.push(`≥ ${n.minimum}`);
  if (typeof n.exclusiveMinimum === "number") parts.push(`> ${n.exclusiveMinimum}`);
  if (typeof n.maximum === "number" && n.maximum < Number.MAX_SAFE_INTEGER)
    parts.push(`≤ ${n.maximum}`);
  if (typeof n.exclusiveMaximum === "number") parts.push(`< ${n.exclusiveMaximum}`);
  return parts.join(", ");
}

/**
 * A default as a user would write it. Defaults of objects whose keys are rows of their own are
 * left out: each key shows its own, and the object's would repeat them in the parsed form.
 */
export function defaultOf(n: JsonNode): string | undefined {
  if (n.default === undefined || isNode(n.properties)) return undefined;
  const flow = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(flow).join(", ")}]`
      : isNode(v)
        ? Object.keys(v).length === 0
          ? "{}"
          : `{ ${Object.entries(v)
              .map(([k, x]) => `${k}: ${flow(x)}`)
              .join(", ")} }`
        : typeof v === "string"
          ? v
          : JSON.stringify(v);
  return code(flow(n.default));
}

/** The field's own description; the shared duration text is no description of a field. */
export function descriptionOf(n: JsonNode): string | undefined {
  const d = typeof n.description === "string" ? n.description.trim() : "";
  return d === "" || d === GENERIC_DURATION ? undefined : d;
}
