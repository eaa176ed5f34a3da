import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { daemonSchema } from "../../src/definitions/config.js";
import { REPO } from "../helpers/project.js";
import { cliCommands, shellInvocations, unknownInvocations } from "./rules.js";

/** Every example under deploy/, parsed: the commands they run, probes, users, the CI summary. */
type Doc = Record<string, unknown>;
const PORT = daemonSchema.parse({}).port;
const commands = cliCommands();

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const docs = new Map<string, Doc[]>();
for (const file of await filesUnder(join(REPO, "deploy"))) {
  const name = relative(REPO, file);
  const text = await readFile(file, "utf8");
  if (file.endsWith(".json")) docs.set(name, [JSON.parse(text) as Doc]);
  if (/\.ya?ml$/.test(file)) {
    const parsed = parseAllDocuments(text);
    for (const d of parsed) expect(d.errors, name).toEqual([]);
    docs.set(name, parsed.map((d) => d.toJS() as Doc).filter(Boolean));
  }
}
const all = (file: string) => docs.get(file) ?? [];
const kube = [...docs].filter(([f]) => f.startsWith("deploy/kubernetes/")).flatMap(([, d]) => d);

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Doc[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
/** The pod template of a Deployment or CronJob. */
function podOf(doc: Doc): PodSpec | undefined {
  const spec = doc.spec as Doc | undefined;
  const job = (spec?.jobTemplate as Doc | undefined)?.spec as Doc | undefined;
  const template = ((job ?? spec)?.template as Doc | undefined)?.spec;
  return template as PodSpec | undefined;
}
const pods = kube.map(podOf).filter((p): p is PodSpec => p !== undefined);

/** How each example starts drill: argv after the image's `drill` entrypoint, or a shell line. */
function invocations(): string[][] {
  const calls: string[][] = [];
  for (const pod of pods)
    for (const c of pod.containers) if (/drill/.test(c.image)) calls.push(c.args ?? ["daemon"]);
  for (const [, file] of docs)
    for (const doc of file)
      for (const c of (doc.containerDefinitions ?? []) as { command: string[] }[])
        calls.push(c.command);
  const workflow = all("deploy/github/drill.yml")[0] as { jobs: Record<string, Doc> };
  for (const job of Object.values(workflow.jobs))
    for (const step of job.steps as { run?: string }[])
      calls.push(...shellInvocations(step.run ?? ""));
  return calls;
}

describe("deploy/", () => {
  it("parses, and has the Kubernetes, ECS, EventBridge and GitHub examples", () => {
    const kinds = kube.map((d) => d.kind).sort();
    expect(kinds).toEqual([
      "ConfigMap",
      "CronJob",
      "Deployment",
      "Service",
      "ServiceAccount",
      "ServiceMonitor",
    ]);
    expect(all("deploy/aws/ecs-task-definition.json")[0]).toHaveProperty("taskRoleArn");
    expect(all("deploy/aws/eventbridge-schedule.json")[0]).toHaveProperty("Target.EcsParameters");
  });

  it("runs only commands and options drill has", () => {
    const calls = invocations();
    expect(calls.map((c) => c[0])).toEqual(expect.arrayContaining(["run", "daemon", "report"]));
    expect(unknownInvocations(calls, commands)).toEqual([]);
    // The checker itself: a misspelt command or option is caught, in argv and in shell lines.
    const bad = [["rnu", "x"], ...shellInvocations("set +e\nnpx drill report latest --markdwon")];
    expect(unknownInvocations(bad, commands)).toEqual([
      "drill rnu: no such command",
      "drill report --markdwon: no such option",
    ]);
    expect(shellInvocations("echo drill pods; a && drill list --json")).toEqual([
      ["list", "--json"],
    ]);
  });

  it("probes the daemon's /healthz and /readyz on its named metrics port", () => {
    const deployment = kube.find((d) => d.kind === "Deployment")!;
    expect((deployment.spec as Doc).replicas).toBe(2);
    const [daemon] = podOf(deployment)!.containers;
    // The daemon's default 127.0.0.1 would be unreachable for the kubelet and Prometheus.
    expect(daemon!.args).toEqual(["daemon", "--host", "0.0.0.0"]);
    expect(daemon!.ports).toEqual([{ name: "metrics", containerPort: PORT }]);
    expect(daemon!.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(daemon!.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    const monitor = kube.find((d) => d.kind === "ServiceMonitor")!;
    expect((monitor.spec as Doc).endpoints).toEqual([
      expect.objectContaining({
        port: "metrics",
        path: "/metrics",
        authorization: { type: "Bearer", credentials: { name: "drill", key: "metrics-token" } },
      }),
    ]);
    const cron = kube.find((d) => d.kind === "CronJob")!;
    expect((cron.spec as Doc).concurrencyPolicy).toBe("Forbid");
  });

  it("runs every Kubernetes container as a non-root user", () => {
    expect(pods).toHaveLength(2);
    const nonRoot = (s?: { runAsNonRoot?: boolean; runAsUser?: number }) =>
      s?.runAsNonRoot === true && s.runAsUser !== 0;
    for (const pod of pods)
      for (const c of pod.containers)
        expect(nonRoot({ ...pod.securityContext, ...c.securityContext }), c.name).toBe(true);
    expect(nonRoot({ runAsNonRoot: true, runAsUser: 0 })).toBe(false);
    expect(nonRoot({})).toBe(false);
  });

  it("takes secrets from a Secret or Secrets Manager, never as plain values", () => {
    const env = pods.flatMap((p) => p.containers.flatMap((c) => c.env ?? []));
    const secretNames = ["DRILL_HISTORY_URL", "SLACK_WEBHOOK_URL", "SCRUB_SECRET"];
    for (const e of env.filter((e) => secretNames.includes(e.name as string)))
      expect(e, e.name as string).toHaveProperty("valueFrom.secretKeyRef");
    // config.yaml's daemon.metricsToken: every pod that loads it must have it, from the Secret.
    for (const pod of pods)
      expect(pod.containers[0]!.env).toContainEqual({
        name: "DRILL_METRICS_TOKEN",
        valueFrom: { secretKeyRef: { name: "drill", key: "metrics-token" } },
      });
    const ecs = all("deploy/aws/ecs-task-definition.json")[0] as {
      containerDefinitions: { secrets: { name: string }[]; environment: { name: string }[] }[];
    };
    const [task] = ecs.containerDefinitions;
    expect(task!.secrets.map((s) => s.name).sort()).toEqual([...secretNames].sort());
    expect(task!.environment.map((e) => e.name)).not.toEqual(expect.arrayContaining(secretNames));
  });

  it("writes a Markdown job summary even when the drill failed, then fails with its code", () => {
    const workflow = all("deploy/github/drill.yml")[0] as {
      on: Doc;
      jobs: { drill: { steps: { if?: string; run?: string }[] } };
    };
    expect(Object.keys(workflow.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const steps = workflow.jobs.drill.steps;
    const summary = steps.find((s) => s.run?.includes("$GITHUB_STEP_SUMMARY"));
    expect(summary?.run).toMatch(
      /drill report latest --drill "\$DRILL" --markdown >> "\$GITHUB_STEP_SUMMARY"/,
    );
    expect(summary?.if).toBe("always()");
    const last = steps.at(-1)!;
    expect(last.if).toBe("always()");
    expect(last.run).toMatch(/^exit /);
  });
});
