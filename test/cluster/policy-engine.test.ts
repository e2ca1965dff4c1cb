/**
 * The real Pulumi engine enforces the policy pack (policy/) on a stack that
 * breaks every guardrail of infra/platform/guardrails.ts, and lets a compliant
 * stack through: `pulumi preview --policy-pack <repo>/policy` of a Pulumi YAML
 * program against the local control plane (scripts/cluster/control-plane.ts).
 *
 * Why YAML and a shim: the only Node language host the Go module proxy serves
 * here (github.com/pulumi/pulumi/sdk/v3 v3.68.0) does not implement RunPlugin,
 * so it cannot start a policy pack. When NO language plugin named after the
 * pack's runtime (`nodejs`) is found, the CLI (pulumi/pulumi v3.248.0,
 * sdk/go/common/resource/plugin/analyzer_plugin.go NewPolicyAnalyzer) falls
 * back to the plugin `pulumi-analyzer-policy-nodejs` on PATH, started in the
 * pack's directory with `<engine address> . [-<opt>=<value>…]`. Upstream
 * shipped that plugin as a shell script running
 * `node <@pulumi/pulumi>/cmd/run-policy-pack "$@"` (sdk/nodejs/dist/
 * pulumi-analyzer-policy, removed in 0f0fbfe0fb); this test writes its own
 * equivalent into a temporary directory, pointing at this repository's
 * @pulumi/pulumi, and records the directory and arguments it was started with.
 * The program is YAML (pulumi-language-yaml from github.com/pulumi/pulumi-yaml)
 * so that no Node language host is needed at all: PATH holds the CLI, the YAML
 * host, the Kubernetes provider, the shim and node, and never
 * pulumi-language-nodejs (checked below, as is the shim having run).
 *
 * File backend, passphrase secrets, PULUMI_HOME in a temporary directory, no
 * update check, no plugin downloads; the provider is explicit (kubeconfig of
 * the control plane) and default providers are disabled. Preview creates
 * nothing. Needs the Go tools (etcd, kubernetes, kwok, pulumi,
 * pulumi-resource-kubernetes, pulumi-language-yaml), built on first use by
 * ensureTools: if one cannot be built the suite fails with the build error, it
 * never skips.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument, stringify } from "yaml";
import { ensureTools, REPO_ROOT } from "../../scripts/tools/build-tools.ts";
import { startControlPlane, type ControlPlane } from "../../scripts/cluster/control-plane.ts";

const POLICY_DIR = join(REPO_ROOT, "policy");
const RUN_POLICY_PACK = join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
const SHIM = "pulumi-analyzer-policy-nodejs";
const NS = "creator-x";
const STACK = "test";

/** What every violating resource must be reported for, word for word as infra/platform/guardrails.ts says it. */
const EXPECTED_VIOLATIONS: Array<{ resource: string; message: string }> = [
  { resource: "kubernetes:apps/v1:Deployment: ghost-replicas", message: `Deployment ${NS}/ghost: Ghost supports one instance per site, not 2 replicas` },
  {
    resource: "kubernetes:apps/v1:Deployment: ghost-rolling",
    message: `Deployment ${NS}/ghost-rolling: Ghost must roll with the Recreate strategy (two Ghosts would share one database)`,
  },
  {
    resource: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler: ghost-hpa",
    message: `HorizontalPodAutoscaler ${NS}/ghost-hpa: nothing may scale Ghost (one instance per site); only the sleep engine scales it, between zero and one`,
  },
  {
    resource: "kubernetes:core/v1:Service: ghost-lb",
    message: `Service ${NS}/ghost-lb: type LoadBalancer in a creator namespace: one shared ingress serves every site`,
  },
  {
    resource: "kubernetes:core/v1:Service: ghost-nodeport",
    message: `Service ${NS}/ghost-nodeport: type NodePort in a creator namespace: one shared ingress serves every site`,
  },
  ...["runAsNonRoot is not true", "readOnlyRootFilesystem is not true", "allowPrivilegeEscalation is not false", "capabilities do not drop ALL"].map(
    (problem) => ({ resource: "kubernetes:apps/v1:Deployment: unrestricted", message: `Deployment ${NS}/worker: container worker: ${problem}` }),
  ),
  {
    resource: "kubernetes:core/v1:Namespace: ops-label",
    message: "Namespace creator-y: carries platform.creator-platform.io/role, which admits a namespace to every creator's sqld",
  },
];

/** The `restricted` profile the guardrails ask of every container (plus what PodSecurity wants). */
const RESTRICTED = {
  runAsNonRoot: true,
  runAsUser: 1000,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

const OPTIONS = { provider: "${k8s}", dependsOn: ["${ns}"] };

function deployment(
  name: string,
  options: { replicas?: number; strategy?: string; ghost?: boolean; securityContext?: Record<string, unknown>; container?: string } = {},
) {
  const labels = { app: name, ...(options.ghost === false ? {} : { "app.kubernetes.io/component": "ghost" }) };
  return {
    type: "kubernetes:apps/v1:Deployment",
    properties: {
      metadata: { name, namespace: NS, labels },
      spec: {
        replicas: options.replicas ?? 1,
        strategy: { type: options.strategy ?? "Recreate" },
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: options.container ?? name,
                image: "ghost:6-alpine",
                ...(options.securityContext ? { securityContext: options.securityContext } : {}),
              },
            ],
          },
        },
      },
    },
    options: OPTIONS,
  };
}

function service(name: string, type: string) {
  return {
    type: "kubernetes:core/v1:Service",
    properties: { metadata: { name, namespace: NS }, spec: { type, selector: { app: "ghost" }, ports: [{ port: 80, targetPort: 2368 }] } },
    options: OPTIONS,
  };
}

function hpa(name: string, target: string) {
  return {
    type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    properties: {
      metadata: { name, namespace: NS },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, minReplicas: 1, maxReplicas: 3 },
    },
    options: OPTIONS,
  };
}

/** A Pulumi YAML project: one explicit Kubernetes provider, the creator namespace and the given resources. */
function project(name: string, kubeconfig: string, resources: Record<string, unknown>): string {
  return stringify(
    {
      name,
      runtime: "yaml",
      description: "policy-engine.test.ts: the guardrails under the real engine",
      resources: {
        k8s: { type: "pulumi:providers:kubernetes", properties: { kubeconfig } },
        ns: { type: "kubernetes:core/v1:Namespace", properties: { metadata: { name: NS } }, options: { provider: "${k8s}" } },
        ...resources,
      },
    },
    // Shared objects (RESTRICTED, OPTIONS) written out each time: Pulumi YAML refuses aliases.
    { lineWidth: 0, aliasDuplicateObjects: false },
  );
}

function violatingResources(): Record<string, unknown> {
  return {
    "ghost-replicas": deployment("ghost", { replicas: 2, securityContext: RESTRICTED }),
    "ghost-rolling": deployment("ghost-rolling", { strategy: "RollingUpdate", securityContext: RESTRICTED }),
    "ghost-hpa": hpa("ghost-hpa", "ghost"),
    "ghost-lb": service("ghost-lb", "LoadBalancer"),
    "ghost-nodeport": service("ghost-nodeport", "NodePort"),
    unrestricted: deployment("worker", { ghost: false, container: "worker" }),
    "ops-label": {
      type: "kubernetes:core/v1:Namespace",
      properties: { metadata: { name: "creator-y", labels: { "platform.creator-platform.io/role": "ops" } } },
      options: { provider: "${k8s}" },
    },
  };
}

function compliantResources(): Record<string, unknown> {
  return {
    ghost: deployment("ghost", { securityContext: RESTRICTED }),
    cache: deployment("cache", { ghost: false, securityContext: RESTRICTED, strategy: "RollingUpdate", replicas: 2 }),
    "cache-hpa": hpa("cache-hpa", "cache"),
    "ghost-svc": service("ghost", "ClusterIP"),
  };
}

interface RunResult {
  code: number;
  output: string;
  seconds: number;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: output + (signal ? `\n(killed by ${signal})` : ""), seconds: (Date.now() - started) / 1000 });
    });
  });
}

/**
 * The `Policies:` section of the CLI's output as one entry per reported
 * violation: its header (`- [mandatory]  <policy>  (<type>: <name>)`) and the
 * lines under it (the policy's description, then the message).
 */
function policyViolations(output: string): Array<{ level: string; policy: string; resource: string; text: string }> {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => line.trim() === "Policies:");
  if (start < 0) return [];
  const found: Array<{ level: string; policy: string; resource: string; text: string }> = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^\S/.test(line)) break; // the next top-level section (Diagnostics:, Resources:, …)
    const header = /^\s*- \[(\w+)\]\s+(\S+)\s+\((.+)\)\s*$/.exec(line);
    if (header) {
      found.push({ level: header[1]!, policy: header[2]!, resource: header[3]!, text: "" });
    } else if (found.length > 0) {
      const last = found[found.length - 1]!;
      last.text = `${last.text} ${line.trim()}`.trim();
    }
  }
  return found;
}

const squash = (s: string) => s.replace(/\s+/g, " ");

let cp: ControlPlane | undefined;
let root = "";
let env: NodeJS.ProcessEnv = {};
let pulumi = "";
let shimLog = "";

/** A project directory with its stack initialised (default providers disabled), ready for preview. */
async function stackFor(name: string, resources: Record<string, unknown>): Promise<string> {
  if (!cp) throw new Error("the control plane did not start");
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Pulumi.yaml"), project(name, cp.kubeconfig, resources));
  const init = await run(pulumi, ["stack", "init", STACK, "--non-interactive"], dir, env);
  expect(init.code, `pulumi stack init in ${dir}:\n${init.output}`).toBe(0);
  const stackFile = join(dir, `Pulumi.${STACK}.yaml`);
  const doc = parseDocument(existsSync(stackFile) ? readFileSync(stackFile, "utf8") : "config: {}\n");
  doc.setIn(["config", "pulumi:disable-default-providers"], doc.createNode(["*"]));
  writeFileSync(stackFile, doc.toString({ lineWidth: 0 }));
  return dir;
}

function preview(dir: string): Promise<RunResult> {
  return run(pulumi, ["preview", "--policy-pack", POLICY_DIR, "--stack", STACK, "--non-interactive", "--color", "never"], dir, env);
}

/** The directory and arguments the shim was started with, one run per line (as it records them). */
function shimRuns(): string[][] {
  if (!existsSync(shimLog)) return [];
  return readFileSync(shimLog, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => line.split("\t"));
}

beforeAll(async () => {
  const bins = await ensureTools(["etcd", "kubernetes", "kwok", "pulumi", "pulumi-resource-kubernetes", "pulumi-language-yaml"]);
  for (const name of ["pulumi", "pulumi-resource-kubernetes", "pulumi-language-yaml"]) {
    if (!bins[name] || !existsSync(bins[name])) throw new Error(`npm run tools did not produce ${name}`);
  }
  pulumi = bins.pulumi!;
  cp = await startControlPlane({ binaries: bins, log: (line) => process.stderr.write(`${line}\n`) });

  root = mkdtempSync(join(tmpdir(), "policy-engine-"));
  const shimDir = join(root, "shim");
  mkdirSync(shimDir);
  mkdirSync(join(root, "home"));
  mkdirSync(join(root, "state"));
  shimLog = join(root, "shim.log");
  // The equivalent of upstream's pulumi-analyzer-policy script, with this
  // repository's run-policy-pack and this node, logging how it was started.
  writeFileSync(
    join(shimDir, SHIM),
    [
      "#!/bin/sh",
      `# Written by test/cluster/policy-engine.test.ts: upstream's sdk/nodejs/dist/pulumi-analyzer-policy, pointed at ${RUN_POLICY_PACK}.`,
      `{ printf '%s' "$PWD"; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> '${shimLog}'`,
      `exec '${process.execPath}' '${RUN_POLICY_PACK}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(join(shimDir, SHIM), 0o755);

  const pathDirs = [
    shimDir,
    ...new Set(["pulumi", "pulumi-language-yaml", "pulumi-resource-kubernetes"].map((name) => dirname(bins[name]!))),
    dirname(process.execPath),
    "/usr/bin",
    "/bin",
  ];
  const withNodeHost = pathDirs.filter((dir) => existsSync(join(dir, "pulumi-language-nodejs")));
  if (withNodeHost.length > 0) throw new Error(`pulumi-language-nodejs is on the test's PATH (${withNodeHost.join(", ")}): the CLI would not take the shim`);

  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PULUMI_") && key !== "KUBECONFIG"));
  env = {
    ...base,
    PATH: [...new Set(pathDirs)].join(delimiter),
    PULUMI_HOME: join(root, "home"),
    PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "policy-engine-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
});

afterAll(async () => {
  await cp?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("pulumi preview --policy-pack policy (real engine, YAML program, analyzer shim)", () => {
  it("refuses a stack that breaks every guardrail, naming each violation as mandatory", async () => {
    const dir = await stackFor("guardrail-violations", violatingResources());
    const before = shimRuns().length;
    const result = await preview(dir);
    const output = result.output;

    // The CLI took its fallback: it ran the shim from PATH in the pack's directory with `<engine> .`.
    expect(output).toContain(`using ${SHIM} from $PATH at ${join(root, "shim", SHIM)}`);
    const runs = shimRuns().slice(before);
    expect(runs.length, output).toBeGreaterThan(0);
    for (const [cwd, engine, pack] of runs) {
      expect(cwd).toBe(POLICY_DIR);
      expect(engine).toMatch(/:\d+$/);
      expect(pack).toBe(".");
    }

    expect(result.code, output).not.toBe(0);
    expect(output).toMatch(/creator-platform-guardrails@v0\.1\.0 \(local: .*\/policy\)/);
    const violations = policyViolations(output);
    for (const expected of EXPECTED_VIOLATIONS) {
      const match = violations.find((v) => v.resource === expected.resource && squash(v.text).includes(expected.message));
      expect(match, `no violation "${expected.message}" for ${expected.resource} in:\n${output}`).toBeDefined();
      expect(match?.level).toBe("mandatory");
      expect(match?.policy).toBe("creator-guardrails");
    }
    // Nothing else was reported: the compliant namespace creator-x, the provider and the stack pass.
    const expectedMessages = EXPECTED_VIOLATIONS.map((e) => e.message);
    for (const v of violations) expect(expectedMessages.some((m) => squash(v.text).includes(m)), `unexpected violation ${JSON.stringify(v)}`).toBe(true);
    expect(violations.length).toBe(EXPECTED_VIOLATIONS.length);
    process.stderr.write(`violating preview: exit ${result.code} in ${result.seconds} s, ${violations.length} violations\n`);
  });

  it("passes a compliant stack with no violation", async () => {
    const dir = await stackFor("guardrail-compliant", compliantResources());
    const before = shimRuns().length;
    const result = await preview(dir);
    const output = result.output;
    expect(result.code, output).toBe(0);
    expect(shimRuns().length, output).toBeGreaterThan(before);
    expect(output).toMatch(/creator-platform-guardrails@v0\.1\.0 \(local: .*\/policy\)/);
    expect(policyViolations(output), output).toEqual([]);
    expect(output).not.toMatch(/\[(mandatory|advisory|disabled)\]/);
    for (const { message } of EXPECTED_VIOLATIONS) expect(output).not.toContain(message);
    // Every resource was previewed (and analysed). The preview output alone does not show that the provider
    // reached the API server: the provider previews creates the same way against an unreachable one.
    for (const name of ["ghost", "cache", "cache-hpa", "ghost-svc"]) expect(output).toMatch(new RegExp(`\\+\\s+kubernetes:\\S+\\s+${name}\\s+create`));
    process.stderr.write(`compliant preview: exit ${result.code} in ${result.seconds} s\n`);
  });
});
