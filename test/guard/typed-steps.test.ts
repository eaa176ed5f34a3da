import { describe, expect, expectTypeOf, it } from "vitest";
import { drillSchema, type DrillStep } from "../../src/definitions/drill.js";
import { resolveSteps } from "../../src/definitions/steps.js";
import { stepKinds, stepSchemas, type StepOptions } from "../../src/steps/registry.js";
import { offences, sources } from "./sources.js";

const ERASED = /\bas unknown as\b/;
const KIND_OF = /\bkindOf\(/;
const outsideDefinitions = (file: string) => !file.startsWith("src/definitions/");

describe("steps are typed end to end", () => {
  it("the greps find what they look for", () => {
    const planted = [
      { file: "src/steps/x.ts", text: "ok\nconst k = restore as unknown as StepKind;" },
      { file: "src/engine/y.ts", text: "const [kind] = kindOf(step);" },
      { file: "src/definitions/z.ts", text: "const [kind] = kindOf(step);" },
    ];
    expect(offences(planted, ERASED)).toEqual(["src/steps/x.ts:2"]);
    expect(offences(planted, KIND_OF, outsideDefinitions)).toEqual(["src/engine/y.ts:1"]);
  });

  it("src/ erases no type with `as unknown as`", () => {
    expect(offences(sources(), ERASED)).toEqual([]);
  });

  it("only src/definitions reads the `- kind: {…}` shape of steps (no kindOf elsewhere)", () => {
    expect(offences(sources(), KIND_OF, outsideDefinitions)).toEqual([]);
  });

  it("each step kind is registered under its own name with its own schema", () => {
    expect(Object.keys(stepKinds)).toEqual(Object.keys(stepSchemas));
    for (const [name, kind] of Object.entries(stepKinds)) {
      expect(kind.kind).toBe(name);
      expect(kind.schema).toBe(stepSchemas[name as keyof typeof stepSchemas]);
    }
  });

  it("a written step is one kind, typed by it; a resolved step narrows on its kind", () => {
    const drill = drillSchema.parse({
      name: "x",
      environment: "sandbox",
      steps: [{ restore: { from: { snapshot: "latest" } } }, { failover: {} }],
    });
    const written = drill.steps[1]!;
    if (!("failover" in written) || written.failover === undefined) throw new Error("failover");
    expectTypeOf(written.failover.target).toEqualTypeOf<string>();
    // @ts-expect-error a step has exactly one kind
    const twoKinds: DrillStep = { restore: { from: {} }, cleanup: {} };
    const refused = drillSchema.safeParse({ name: "x", environment: "e", steps: [twoKinds] });
    expect(refused.error?.issues.map((i) => i.message)).toContain(
      "expected exactly one step kind, found restore, cleanup (known: restore, scrub, verify, failover, s3-restore, cleanup)",
    );

    const resolved = resolveSteps(drill)[1]!;
    if (resolved.kind !== "failover") throw new Error("failover");
    expectTypeOf(resolved.options).toEqualTypeOf<StepOptions<"failover">>();
    expect([resolved.options.target, resolved.needsCopy, resolved.movesCopy]).toEqual([
      "staging",
      true,
      true,
    ]);
  });
});
