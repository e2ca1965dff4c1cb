/** `npm run cost` end to end: the real CLI on the shipped stacks and on generated stack files. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateStackConfig, writeStackFile } from "../../scripts/fixtures/stacks.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const cost = (...args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/cost.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
};

let dir: string;
let stack: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cost-cli-"));
  stack = writeStackFile(dir, "civo-test", generateStackConfig({ provider: "civo", creators: 40 }));
});

describe("npm run cost", () => {
  it("prints JSON whose breakdown adds up to the total", () => {
    const r = cost("--config", stack, "--json");
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as {
      stack: string;
      creators: number;
      monthlyTotalUsd: number;
      perCreatorUsd: number;
      breakdown: Record<string, number>;
      nodes: Array<{ pool: string; count: number }>;
    };
    expect(json.stack).toBe("civo-test");
    expect(json.creators).toBe(40);
    expect(Object.values(json.breakdown).reduce((a, b) => a + b, 0)).toBeCloseTo(json.monthlyTotalUsd, 9);
    expect(json.perCreatorUsd).toBeCloseTo(json.monthlyTotalUsd / 40, 4);
    expect(json.nodes[0]).toMatchObject({ pool: "pool-a" });
  });

  it("prints a table by default, and reports an existing cluster (the shipped dev stack) as unbilled", () => {
    const table = cost("--config", stack);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/Stack civo-test \(civo LON1\): \$\d+\.\d\d a month for 40 creators/);
    expect(table.stdout).toMatch(/│ Total +│ \$/);
    const dev = cost("--stack", "dev", "--json");
    expect(dev.code, dev.stderr).toBe(0);
    expect(JSON.parse(dev.stdout)).toMatchObject({ stack: "dev", provider: "existing", monthlyTotalUsd: 0 });
  });

  it("compares with a base file: creators added and removed, nodes and dollars", () => {
    const base = writeStackFile(dir, "civo-base", generateStackConfig({ provider: "civo", creators: 30 }));
    const bigger = writeStackFile(dir, "civo-bigger", generateStackConfig({ provider: "civo", creators: 300 }));
    const r = cost("--config", bigger, "--base", base, "--format", "markdown");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("<!-- creator-platform-cost: civo-bigger -->");
    expect(r.stdout).toMatch(/monthly cost will increase by \$\d+\.\d\d/);
    expect(r.stdout).toMatch(/creators 30 → 300 \(270 added, 0 removed\)/);
    expect(r.stdout).toMatch(/\| \*\*Total\*\* \| \*\*\$\d+\.\d\d\*\* \| \*\*\$\d+\.\d\d\*\* \| \*\*\+\$\d+\.\d\d\*\* \|/);
    const json = JSON.parse(cost("--config", bigger, "--base", base, "--json").stdout) as { diff: { creatorsAdded: string[]; nodes: Array<{ delta: number }> } };
    expect(json.diff.creatorsAdded).toHaveLength(270);
    expect(json.diff.nodes[0]!.delta).toBeGreaterThan(0);
  });

  it("compares with a git ref, and treats a ref without the file as a new stack", () => {
    const repo = mkdtempSync(join(tmpdir(), "cost-git-"));
    git(repo, "init", "-q");
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "empty");
    const path = writeStackFile(repo, "civo-git", generateStackConfig({ provider: "civo", creators: 12 }));
    git(repo, "add", ".");
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "stack");
    writeStackFile(repo, "civo-git", generateStackConfig({ provider: "civo", creators: 10 }));
    const removed = cost("--config", path, "--base", "HEAD");
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/Against HEAD:Pulumi.civo-git.yaml: .*creators 12 → 10 \(0 added, 2 removed\)/);
    expect(removed.stdout).toMatch(/removed: c00011, c00012/);
    const fresh = cost("--config", path, "--base", "HEAD~1");
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/absent: a new stack.*creators 0 → 10 \(10 added/);
    const bad = cost("--config", path, "--base", "no-such-ref");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--base: no-such-ref is neither a file nor a git ref/);
  });

  it("exits 1 with the full validation report on an invalid stack or base, and 2 on bad arguments", () => {
    const invalid = join(dir, "Pulumi.invalid.yaml");
    writeFileSync(
      invalid,
      "config:\n  creator-platform:cluster: {provider: civo, region: lon1, kubernetesVersion: 1.33.1-k3s1, nodePools: [{name: a, size: huge}]}\n" +
        "  creator-platform:platform: {domain: example.com}\n  creator-platform:creators: [{id: a, plan: nope}]\n",
    );
    const r = cost("--config", invalid);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 problems/);
    expect(r.stderr).toMatch(/cluster.region/);
    expect(r.stderr).toMatch(/cluster.nodePools\[0\].size/);
    expect(r.stderr).toMatch(/creators\[0\].plan: unknown plan "nope"/);
    const base = cost("--config", stack, "--base", invalid);
    expect(base.code).toBe(1);
    expect(base.stderr).toMatch(/^base: /);
    expect(cost("--config", stack, "--format", "html").code).toBe(2);
    expect(cost().code).toBe(2);
    expect(cost("--stack", "no-such-stack").code).toBe(2);
  });

  it("exits 1 when explicit node bounds cannot hold the creators", () => {
    const tight = writeStackFile(dir, "tight", generateStackConfig({ provider: "civo", creators: 100, nodePools: [{ name: "a", size: "g4s.kube.large", count: 1 }] }));
    const r = cost("--config", tight);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cluster.nodePools\[0\].count: .* need \d+ g4s.kube.large nodes but count allows 1/);
  });

  it("shows a ceiling violation in the report", () => {
    const over = writeStackFile(dir, "over", generateStackConfig({ provider: "civo", creators: 10, maxMonthlyCostPerCreator: 1 }));
    const r = cost("--config", over, "--format", "markdown");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/> \[!CAUTION\]\n> maxMonthlyCostPerCreator is \$1.00 but this stack costs \$6.19/);
  });
});
