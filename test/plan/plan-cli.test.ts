/**
 * The offline plan end to end: the CLI as a user runs it, on every shipped
 * stack, with every written manifest checked against the Kubernetes schemas.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { loadStackFile, stackFilePath } from "../../infra/config/stack-file.ts";
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

const stacks = availableStacks();

describe.each(stacks)("npm run plan -- --stack %s", (stack) => {
  it("plans every creator and writes schema-valid manifests", async () => {
    const out = mkdtempSync(join(tmpdir(), `plan-${stack}-`));
    const result = await plan(["--stack", stack, "--json", "--out", out]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      stack: string;
      creators: number;
      resources: Record<string, number>;
      outputs: { creatorCount: { total: number; retired: number }; creators: Record<string, { urls: string[] }> };
      violations: string[];
    };
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
    expect(objects).toBe(kubeResources);

    // Every chart and remote manifest, as the provider will be given it (enough for `helm template`).
    const charts = readdirSync(join(out, "charts")).sort();
    const remote = Object.entries(report.resources)
      .filter(([type]) => type === "kubernetes:helm.sh/v4:Chart" || type === "kubernetes:yaml/v2:ConfigGroup")
      .reduce((sum, [, n]) => sum + n, 0);
    expect(charts).toHaveLength(remote);
    for (const file of charts) {
      const release = parseAllDocuments(readFileSync(join(out, "charts", file), "utf8"))[0]?.toJS() as Record<string, unknown>;
      expect(`${String(release.release)}.yaml`).toBe(file);
      if (release.files) continue;
      for (const key of ["chart", "repository", "version", "namespace"]) expect(typeof release[key], `${file}: ${key}`).toBe("string");
      expect(typeof release.values).toBe("object");
    }
  });
});

describe("the plan command", () => {
  it("prints a readable plan with the creators and outputs", async () => {
    const result = await plan(["--stack", "dev"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Offline plan for stack dev \(existing cluster\): 3 creator sites/);
    expect(result.stdout).toMatch(/kubernetes:apps\/v1:Deployment/);
    expect(result.stdout).toMatch(/alice\s+│ starter/);
    expect(result.stdout).toMatch(/creatorCount/);
  });

  it("says plainly what it cannot show: provider gaps and charts expanded at deploy time", async () => {
    const result = await plan(["--stack", "civo-lon1", "--json"]);
    const { notCovered } = JSON.parse(result.stdout) as { notCovered: string[] };
    expect(notCovered.some((n) => n.includes("@pulumi/civo 1.0.7") && n.includes("firewall"))).toBe(true);
    expect(notCovered.some((n) => /cert-manager v1\.19\.1 is expanded by the Kubernetes provider/.test(n))).toBe(true);
  });

  it("warns, as pulumi preview does, when a stack outgrows one state file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-shard-"));
    const file = writeStackFile(dir, "big", generateStackConfig({ provider: "civo", creators: 160 }));
    const result = await plan(["--config", file, "--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: .*160 creators, more than the ~150 one stack handles well.*Shard it into 2 stacks/);
    expect(JSON.parse(result.stdout).creators).toBe(160);
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

  it("rejects an invalid stack file with the full report, exit code 1, and writes nothing", async () => {
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
    expect(result.stderr).toContain("creators[1].id: duplicate id");
    expect(result.stderr).toContain("creators[2].id: must be a DNS-1123 label");
    expect(result.stderr).toContain('creators[2].plan: unknown plan "gold"');
    expect(readdirSync(dir)).toEqual(["Pulumi.broken.yaml"]);
  });

  it("explains bad arguments with exit code 2", async () => {
    expect((await plan([])).code).toBe(2);
    const unknown = await plan(["--stack", "nowhere"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no stack "nowhere" \(stacks: .*dev/);
    const help = await plan(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--out <dir>/);
  });
});
