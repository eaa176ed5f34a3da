import { describe, expect, it } from "vitest";
import {
  barmanErrors,
  barmanUser,
  parseBackupInfo,
  parseXlogDb,
} from "../../src/providers/local/recovery/barman-output.js";

// What drill reads of Barman's answers, without a Barman server (barman.test.ts has the real one).
describe("barman output", () => {
  it("keeps a conninfo's password out of the one-line error", () => {
    const stderr =
      "ERROR: cannot connect to postgres: host=db port=5432 user=barman password=s3cret dbname=postgres\n";
    const line = barmanErrors("", stderr);
    expect(line).toContain("cannot connect to postgres");
    expect(line).not.toContain("s3cret");
    expect(barmanErrors('{"_ERROR": ["Unknown server \'x\'"]}', "")).toBe("Unknown server 'x'");
  });

  it("reads tablespaces as 3.4 prints them and as lists", () => {
    const shown = (tablespaces: unknown) =>
      JSON.stringify({
        pg: { backup_id: "b1", status: "DONE", postgresql_version: 150020, tablespaces },
      });
    expect(
      parseBackupInfo(shown([{ name: "ts", location: "/x", oid: 16385 }]), "pg")?.tablespaces,
    ).toEqual([{ name: "ts", oid: 16385, location: "/x" }]);
    expect(parseBackupInfo(shown([["ts", 16385, "/x"]]), "pg")?.tablespaces).toEqual([
      { name: "ts", oid: 16385, location: "/x" },
    ]);
    expect(parseBackupInfo("not json", "pg")).toBeUndefined();
  });

  it("lists only segments from xlog.db and finds barman_user in [barman] only", () => {
    const db = "000000010000000000000003\t16777216\t1.5\tNone\n00000002.history\t42\t2.0\tNone\n";
    expect(parseXlogDb(db)).toEqual(["000000010000000000000003"]);
    expect(barmanUser("[pg]\nbarman_user = nope\n[barman]\nbarman_user = backup\n")).toBe("backup");
    expect(barmanUser("[pg]\nbarman_user = nope\n")).toBe("barman");
  });
});
