import {
  branches,
  constOf,
  defaultOf,
  descriptionOf,
  discriminator,
  itemsOf,
  mapValueOf,
  objectBranches,
  propertiesOf,
  requiredOf,
  resolve,
  typeOf,
  type JsonNode,
} from "./json-node.js";

/** One row of an options table: a key path inside a file and what it takes. */
export interface Field {
  path: string;
  type: string;
  required: boolean;
  default: string | undefined;
  description: string | undefined;
  /** Set when the key takes one of several shapes told apart by a constant (`provider`). */
  variants?: VariantGroup;
}

/** `environments.<name>` as `provider: local` or `provider: aws`: one table per shape. */
export interface VariantGroup {
  path: string;
  variants: { label: string; description: string | undefined; fields: Field[] }[];
}

export interface WalkOptions {
  /** Paths shown as a row but not descended into, with the type to show (steps, checks, rules). */
  stop?: Record<string, string>;
  /** The placeholder of a map's keys by the map's path; `<name>` when not given. */
  keys?: Record<string, string>;
  /** Types clearer in words than derived (`tables`: a map of tables), by path; still descended. */
  types?: Record<string, string>;
  /** Defaults the schema cannot carry (a step's timeout depends on its kind), by path. */
  defaults?: Record<string, string>;
}

/**
 * Every key of a file (or of one step, check or transformer), depth first, as rows. Object
 * alternatives are merged into one set of rows, except those told apart by a constant, which
 * become variant groups (a table each).
 */
export function walk(node: JsonNode, root: JsonNode, opts: WalkOptions = {}): Field[] {
  const fields: Field[] = [];
  visit(node, "", false, root, opts, fields);
  return fields;
}

const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);

function visit(
  node: JsonNode,
  path: string,
  required: boolean,
  root: JsonNode,
  opts: WalkOptions,
  out: Field[],
): void {
  const n = resolve(node, root);
  const row = (type: string): Field => ({
    path,
    type,
    required,
    default: opts.defaults?.[path] ?? defaultOf(n),
    description: descriptionOf(n),
  });
  const stop = opts.stop?.[path];
  if (stop !== undefined) {
    out.push(row(stop));
    return;
  }
  const objects = objectBranches(n, root);
  const key = discriminator(objects);
  if (key !== undefined) {
    const variants = objects.map((o) => {
      const fields: Field[] = [];
      children(o, path, root, opts, fields);
      return {
        label: `${key}: ${String(constOf(o, key))}`,
        description: descriptionOf(o),
        fields,
      };
    });
    out.push({ ...row("object"), variants: { path, variants } });
    return;
  }
  if (path !== "") out.push(row(opts.types?.[path] ?? typeOf(n, root)));
  // Keys of merged alternatives are required only when every alternative requires them.
  const everywhere = (k: string) => objects.every((o) => requiredOf(o).includes(k));
  for (const o of objects) children(o, path, root, opts, out, everywhere);
  const items = branches(n, root).flatMap((b) => (b.type === "array" ? [itemsOf(b)] : []))[0];
  if (items && objectBranches(items, root).length > 0) {
    visit(items, `${path}[]`, false, root, opts, out);
  }
}

/** The keys of one object alternative (its properties, or its map values) into `out`. */
function children(
  o: JsonNode,
  path: string,
  root: JsonNode,
  opts: WalkOptions,
  out: Field[],
  required = (key: string) => requiredOf(o).includes(key),
): void {
  for (const [key, child] of propertiesOf(o)) {
    const at = join(path, key);
    // Alternatives share keys (`on` of every channel kind): the first one describes them.
    if (out.some((f) => f.path === at)) continue;
    visit(child, at, required(key), root, opts, out);
  }
  const value = mapValueOf(o);
  if (!value) return;
  const at = join(path, opts.keys?.[path] ?? "<name>");
  if (out.some((f) => f.path === at)) return;
  // A map of plain values is told fully by its own row (`headers: map of string`).
  const plain = objectBranches(value, root).length === 0 && opts.stop?.[at] === undefined;
  if (!plain) visit(value, at, false, root, opts, out);
}
