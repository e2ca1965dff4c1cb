/**
 * The offline plan end to end: the CLI as a user runs it, on every shipped
 * stack, with every written manifest checked against the Kubernetes schemas.
 * Each plan is its own process (the Pulumi runtime is process-global, one plan
 * per process); the plans of the shipped stacks start together and each is
 * read by every test about it. Bad arguments (exit 2) are in
 * test/plan/bad-arguments.test.ts, each invalid stack file's message in
 * test/config/bad-input.test.ts.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { loadStackFile, stackFilePath } from "../../infra/config/stack-file.ts";
import { costReport } from "../../infra/cost/report.ts";
import { platformAddons } from "../../infra/platform/addons.ts";
import { availableStacks } from "../../scripts/stack-option.ts";
import { generateStackConfig, writeStackFile } from "../../scripts/fixtures/stacks.ts";
import { validateAgainstKubernetesSchema } from "../support/kube-schema.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");

async function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/plan.ts", ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Report {
  stack: string;
  creators: number;
  resources: Record<string, number>;
  outputs: { creatorCount: { total: number; retired: number }; creators: Record<string, { urls: string[] }>; cluster?: { limitations?: string[] } };
  notCovered: string[];
  violations: string[];
}

const stacks = availableStacks();
/** `plan --stack <name> --json --out <dir>` of every shipped stack, all started when the first is asked for. */
let shipped: Map<string, { out: string; result: ReturnType<typeof plan> }> | undefined;
const shippedPlan = async (stack: string) => {
  shipped ??= new Map(
    stacks.map((name) => {
      const out = mkdtempSync(join(tmpdir(), `plan-${name}-`));
      return [name, { out, result: plan(["--stack", name, "--json", "--out", out]) }];
    }),
  );
  const { out, result } = shipped.get(stack)!;
  const r = await result;
  return { out, result: r, report: JSON.parse(r.stdout) as Report };
};

describe.each(stacks)("npm run plan -- --stack %s", (stack) => {
  it("plans every creator and writes schema-valid manifests", async () => {
    const { out, result, report } = await shippedPlan(stack);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(report.violations).toEqual([]);
    const { config } = loadStackFile(stackFilePath(stack));
    const sites = config.creators.filter((c) => c.state !== "retired");
    expect(report.stack).toBe(stack);
    expect(report.creators).toBe(sites.length);
    expect(report.resources["creator-platform:creator:CreatorSite"]).toBe(sites.length);
    expect(report.resources["kubernetes:core/v1:Namespace"]).toBeGreaterThanOrEqual(sites.length);
    expect(report.outputs.creatorCount.total).toBe(config.creators.length);
    expect(Object.keys(report.outputs.creators).sort()).toEqual(sites.map((c) => c.id).sort());

    const files = readdirSync(out).filter((f) => f.endsWith(".yaml"));
    expect(files.filter((f) => f.startsWith("creator-")).sort()).toEqual(sites.map((c) => `creator-${c.id}.yaml`).sort());
    let objects = 0;
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(join(out, file), "utf8"))) {
        const object = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
        expect(() => validateAgainstKubernetesSchema(object), `${file}: ${object.kind} ${object.metadata.name}`).not.toThrow();
        objects += 1;
      }
    }
    const kubeResources = Object.entries(report.resources)
      .filter(([type]) => type.startsWith("kubernetes:") && !type.includes(":helm.sh/") && !type.includes(":yaml/"))
      .reduce((sum, [, n]) => sum + n, 0);
    // Plus the objects of the add-ons the platform renders itself (the shared cache, the sleep engine):
    // their ConfigGroup holds them, and they are known offline.
    const ownAddonObjects = platformAddons(config.cluster, config).reduce((sum, a) => sum + (a.installed ? (a.objects?.length ?? 0) : 0), 0);
    expect(ownAddonObjects).toBeGreaterThan(0);
    expect(objects).toBe(kubeResources + ownAddonObjects);

    // Every chart and remote manifest, as the provider will be given it (enough for `helm template`).
    const charts = readdirSync(join(out, "charts")).sort();
    const remote = Object.entries(report.resources)
      .filter(([type]) => type === "kubernetes:helm.sh/v4:Chart" || type === "kubernetes:yaml/v2:ConfigGroup")
      .reduce((sum, [, n]) => sum + n, 0);
    const ownAddons = platformAddons(config.cluster, config).filter((a) => a.installed && a.objects).length;
    expect(charts).toHaveLength(remote - ownAddons);
    for (const file of charts) {
      const release = parseAllDocuments(readFileSync(join(out, "charts", file), "utf8"))[0]?.toJS() as Record<string, unknown>;
      expect(`${String(release.release)}.yaml`).toBe(file);
      if (release.files) continue;
      for (const key of ["chart", "repository", "version", "namespace"]) expect(typeof release[key], `${file}: ${key}`).toBe("string");
      expect(typeof release.values).toBe("object");
    }
  });

  it("says plainly what it cannot show: the cluster's limitations, and each chart expanded at deploy time", async () => {
    const { out, report } = await shippedPlan(stack);
    for (const limitation of report.outputs.cluster?.limitations ?? []) expect(report.notCovered).toContain(limitation);
    for (const file of readdirSync(join(out, "charts"))) {
      const release = file.replace(/\.yaml$/, "");
      expect(report.notCovered.some((n) => n.startsWith(`${release}:`) && n.includes("expanded by the Kubernetes provider at deploy time")), release).toBe(true);
    }
  });
});

describe("npm run plan on Civo", () => {
  it("names the provider's gap: no firewall for the cluster", async () => {
    const { report } = await shippedPlan("civo-lon1");
    expect(report.notCovered.some((n) => n.includes("@pulumi/civo") && n.includes("firewall"))).toBe(true);
  });
});

describe("the plan command", () => {
  it("prints a readable plan, and the cost model's warnings on stderr as pulumi preview does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-text-"));
    const file = writeStackFile(dir, "small", generateStackConfig({ provider: "civo", creators: 3 }));
    const result = await plan(["--config", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Offline plan for stack small \(civo cluster\): 3 creator sites/);
    expect(result.stdout).toMatch(/kubernetes:apps\/v1:Deployment/);
    expect(result.stdout).toMatch(/c00001\s+│ starter/);
    expect(result.stdout).toMatch(/creatorCount/);
    // Three creators on a g4s.kube.large: the cost model finds smaller nodes cheaper (its wording: test/cost/report.test.ts).
    const { warnings } = costReport(loadStackFile(file).config);
    expect(warnings.length).toBeGreaterThan(0);
    const lines = result.stderr.split("\n");
    for (const warning of warnings) expect(lines.some((l) => l.startsWith("warning: ") && l.endsWith(warning)), warning).toBe(true);
  });

  it("rejects a stack over its cost ceiling before anything is registered", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-ceiling-"));
    const file = join(dir, "Pulumi.pricey.yaml");
    writeFileSync(file, readFileSync(stackFilePath("civo-lon1"), "utf8").replace(/maxMonthlyCostPerCreator: [0-9.]+/, "maxMonthlyCostPerCreator: 0.5"));
    const result = await plan(["--config", file, "--out", join(dir, "out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/maxMonthlyCostPerCreator is \$0\.50 but this stack costs \$[0-9.]+ per creator/);
    expect(readdirSync(dir)).toEqual(["Pulumi.pricey.yaml"]);
  });

  it("rejects an invalid stack file with the full report, exit code 1, no stack trace, and writes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-invalid-"));
    const file = join(dir, "Pulumi.broken.yaml");
    writeFileSync(
      file,
      [
        "config:",
        "  creator-platform:cluster: { provider: existing }",
        "  creator-platform:platform: { domain: creators.example }",
        "  creator-platform:creators:",
        "    - { id: alice, plan: starter }",
        "    - { id: alice, plan: starter }",
        "    - { id: Bob, plan: gold }",
      ].join("\n"),
    );
    const out = join(dir, "out");
    const result = await plan(["--config", file, "--out", out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/3 problems/);
    expect(result.stderr).toContain("creators[1].id: duplicate id");
    expect(result.stderr).toContain("creators[2].id: must be a DNS-1123 label");
    expect(result.stderr).toContain('creators[2].plan: unknown plan "gold"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual(["Pulumi.broken.yaml"]);
  });
});
