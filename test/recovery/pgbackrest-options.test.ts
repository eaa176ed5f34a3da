import { describe, expect, it } from "vitest";
import { run } from "../../src/providers/local/os-user.js";
import { fetchCommand } from "../../src/providers/local/recovery/pgbackrest.js";
import { repoOptions } from "../../src/providers/local/recovery/pgbackrest-tool.js";

/** What reaches pgbackrest's argument list, its environment and the shell of restore_command. */
describe("pgBackRest options", () => {
  const s3 = { bucket: "backups", endpoint: "s3.example.com:9000", region: "eu-west-1" };
  const creds = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "SECRET" };

  it("gives S3 credentials and pgBackRest's own variables through the environment only", () => {
    const o = repoOptions(
      { s3 },
      { ...creds, AWS_SESSION_TOKEN: "TOKEN", PGBACKREST_REPO1_CIPHER_PASS: "pass", HOME: "/root" },
    );
    expect(o.env).toEqual({
      PGBACKREST_REPO1_CIPHER_PASS: "pass",
      PGBACKREST_REPO1_S3_KEY: "AKID",
      PGBACKREST_REPO1_S3_KEY_SECRET: "SECRET",
      PGBACKREST_REPO1_S3_TOKEN: "TOKEN",
    });
    expect(o.args.join(" ")).not.toMatch(/AKID|SECRET|TOKEN|pass/);
    expect(o.args).toContain("--repo1-s3-endpoint=s3.example.com");
    expect(o.args).toContain("--repo1-storage-port=9000");
    // A posix repository does not get AWS credentials it has no use for.
    expect(repoOptions({ repoPath: "/r" }, creds).env).toEqual({});
  });

  it("refuses S3 settings that are not plain names, and a missing key pair (exit 2)", () => {
    expect(() => repoOptions({ s3: { ...s3, endpoint: "x;touch /tmp/p" } }, creds)).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: expect.stringContaining("pgbackrest.config.s3.endpoint"),
      }),
    );
    expect(() => repoOptions({ s3 }, {})).toThrow(
      expect.objectContaining({ exitCode: 2, code: "PGBACKREST_S3_CREDENTIALS" }),
    );
  });

  it("quotes every word of restore_command for the shell, and refuses '%'", async () => {
    const repo = repoOptions({ repoPath: "/tmp/a b'c $(touch x)" }, {});
    const cmd = fetchCommand("/bin/echo", repo, "main", "/data dir", "/spool");
    const { stdout } = await run("/bin/sh", ["-c", cmd.replace("%f", "F").replace("%p", "P")]);
    expect(stdout).toContain("--repo1-path=/tmp/a b'c $(touch x) ");
    expect(stdout).toContain("--pg1-path=/data dir --no-archive-async");
    expect(stdout).toContain("--lock-path=/spool/pgbackrest-lock archive-get F P");
    expect(() =>
      fetchCommand("/bin/echo", repoOptions({ repoPath: "/r%f" }, {}), "main", "/d", "/s"),
    ).toThrow(expect.objectContaining({ exitCode: 2, code: "PGBACKREST_PERCENT" }));
  });
});
