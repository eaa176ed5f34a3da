import { describe, expect, it } from "vitest";
import { CONTROL_IDS } from "../../src/definitions/controls.js";
import { VALID_CONFIG } from "../definitions/helpers.js";
import { runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";

const ALLOWED = CONTROL_IDS.join(", ");

const drill = (controls: string) => `name: x
environment: sandbox
controls: ${controls}
steps:
  - restore: { from: { snapshot: latest } }
`;

const validate = async (controls: string) => {
  const root = await makeProject({
    "config/drill.yaml": VALID_CONFIG,
    "drills/x.yaml": drill(controls),
  });
  return runMain(["validate"], root);
};

describe("controls: in a drill file", () => {
  it("accepts the issue's example ids exactly as written, and every known id", async () => {
    const example = await validate(
      "[ISO27001-A.8.13, ISO27001-A.5.30, SOC2-A1.3, DORA-12, HIPAA-164.308a7iiD]",
    );
    expect(example.stderr).toBe("");
    expect(example.code).toBe(0);
    const all = await validate(`[${ALLOWED}]`);
    expect(all.stderr).toBe("");
    expect(all.code).toBe(0);
  });

  it("names an unknown id with file, line, path and the allowed ids: one line, exit 2", async () => {
    const r = await validate("\n  - ISO27001-A.8.13\n  - SOC2-A1.9");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `drills/x.yaml:5:5 controls[1]: unknown control "SOC2-A1.9" (allowed: ${ALLOWED})\n`,
    );
    expect(r.stderr).toContain("ISO27001-A.8.13, ISO27001-A.5.30, ISO27001-A.8.14, SOC2-A1.2");
  });

  it("refuses a lower-case id, a number and a repeated id", async () => {
    const lower = await validate("[iso27001-a.8.13]");
    expect(lower.stderr).toMatch(
      /^drills\/x\.yaml:3:12 controls\[0\]: unknown control "iso27001-a\.8\.13" \(allowed: /,
    );
    const number = await validate("[12]");
    expect(number.stderr).toBe(
      `drills/x.yaml:3:12 controls[0]: expected a control id (allowed: ${ALLOWED})\n`,
    );
    const twice = await validate("[DORA-12, NIST-CP-4, DORA-12]");
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(
      'drills/x.yaml:3:32 controls[2]: control "DORA-12" is listed twice (also controls[0])\n',
    );
  });
});
