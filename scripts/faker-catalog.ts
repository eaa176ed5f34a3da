import { allLocales, faker } from "@faker-js/faker";

/** Kind of value a faker method returns and how many distinct values 300 draws gave. */
export type MethodInfo = [
  kind: "string" | "number" | "boolean" | "date" | "bigint",
  distinct: number,
];

/** The file the catalog is kept in, and the command that rewrites it. */
export const FAKER_METHODS_FILE = "src/scrub/faker-methods.ts";
export const FAKER_METHODS_COMMAND = "npm run faker-methods";

const SKIPPED_MODULES = new Set(["helpers", "definitions", "rawDefinitions"]);
const DRAWS = 300;

/**
 * What `src/scrub/faker-methods.ts` should say for the installed faker: every method callable
 * without arguments that returns a scalar, not deprecated. Deterministic (seeded).
 */
export function fakerCatalog(): { methods: Record<string, MethodInfo>; locales: string[] } {
  const methods: Record<string, MethodInfo> = {};
  const warn = console.warn;
  let deprecated: boolean;
  console.warn = () => (deprecated = true);
  try {
    for (const mod of Object.keys(faker).sort()) {
      const m = (faker as unknown as Record<string, unknown>)[mod];
      if (!m || typeof m !== "object" || mod.startsWith("_") || SKIPPED_MODULES.has(mod)) continue;
      const names = new Set<string>();
      for (let p: object | null = m; p && p !== Object.prototype; p = Object.getPrototypeOf(p))
        for (const n of Object.getOwnPropertyNames(p)) names.add(n);
      for (const n of [...names].sort()) {
        const fn = (m as Record<string, unknown>)[n];
        if (n === "constructor" || n.startsWith("_") || typeof fn !== "function") continue;
        deprecated = false;
        const info = probe(() => (fn as () => unknown).call(m));
        if (info && !deprecated) methods[`${mod}.${n}`] = info;
      }
    }
  } finally {
    console.warn = warn;
  }
  return { methods, locales: Object.keys(allLocales).sort() };
}

function probe(call: () => unknown): MethodInfo | undefined {
  faker.seed(1);
  const seen = new Set<string>();
  let kind: MethodInfo[0] | undefined;
  try {
    for (let i = 0; i < DRAWS; i++) {
      const v = call();
      const k = v instanceof Date ? "date" : (typeof v as string);
      if (!["string", "number", "boolean", "date", "bigint"].includes(k)) return undefined;
      kind ??= k as MethodInfo[0];
      seen.add(v instanceof Date ? v.toISOString() : String(v));
    }
  } catch {
    return undefined;
  }
  return kind ? [kind, seen.size] : undefined;
}

export function catalogSource(c: ReturnType<typeof fakerCatalog>): string {
  const lines = Object.entries(c.methods).map(
    ([k, [kind, n]]) => `  ${JSON.stringify(k)}: [${JSON.stringify(kind)}, ${n}],`,
  );
  return `// Generated from the installed @faker-js/faker by \`${FAKER_METHODS_COMMAND}\`
// (scripts/faker-catalog.ts). Do not edit.
// Lets \`drill validate\` check faker method paths without loading faker (slow).

/** Method path → [kind of value, distinct values in 300 seeded draws]. */
export const FAKER_METHODS: Record<string, readonly [string, number]> = {
${lines.join("\n")}
};

export const FAKER_LOCALES: readonly string[] = ${JSON.stringify(c.locales)};
`;
}
