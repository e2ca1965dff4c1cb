/**
 * `npm run cost` end to end: the real CLI on the shipped stacks and on generated stack files,
 * run in this process (test/support/run-cli.ts); once per exit code as its own process. Its bad
 * arguments (exit 2) are in test/plan/bad-arguments.test.ts. The CLI bills with the shipped
 * prices, so its figures are checked against the cost model, not written down here.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../infra/config/stack-file.ts";
import { costCeilingViolation, costReport } from "../../infra/cost/report.ts";
import { generateStackConfig, writeStackFile } from "../../scripts/fixtures/stacks.ts";
import { runCli, spawnCli } from "../support/run-cli.ts";

const cost = (...args: string[]) => runCli("cost.ts", args);
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
  it("prints JSON whose breakdown adds up to the total (as its own process: exit 0)", () => {
    const r = spawnCli("cost.ts", ["--config", stack, "--json"]);
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

  it("prints a table by default, and reports an existing cluster (the shipped dev stack) as unbilled", async () => {
    const table = await cost("--config", stack);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/Stack civo-test \(civo LON1\): \$\d+\.\d\d a month for 40 creators/);
    expect(table.stdout).toMatch(/│ Total +│ \$/);
    const dev = await cost("--stack", "dev", "--json");
    expect(dev.code, dev.stderr).toBe(0);
    expect(JSON.parse(dev.stdout)).toMatchObject({ stack: "dev", provider: "existing", monthlyTotalUsd: 0 });
  });

  it("compares with a base file: creators added and removed, nodes and dollars", async () => {
    const base = writeStackFile(dir, "civo-base", generateStackConfig({ provider: "civo", creators: 30 }));
    const bigger = writeStackFile(dir, "civo-bigger", generateStackConfig({ provider: "civo", creators: 300 }));
    const r = await cost("--config", bigger, "--base", base, "--format", "markdown");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("<!-- creator-platform-cost: civo-bigger -->");
    expect(r.stdout).toMatch(/monthly cost will increase by \$\d+\.\d\d/);
    expect(r.stdout).toMatch(/creators 30 → 300 \(270 added, 0 removed\)/);
    expect(r.stdout).toMatch(/\| \*\*Total\*\* \| \*\*\$\d+\.\d\d\*\* \| \*\*\$\d+\.\d\d\*\* \| \*\*\+\$\d+\.\d\d\*\* \|/);
    const json = JSON.parse((await cost("--config", bigger, "--base", base, "--json")).stdout) as { diff: { creatorsAdded: string[]; nodes: Array<{ delta: number }> } };
    expect(json.diff.creatorsAdded).toHaveLength(270);
    expect(json.diff.nodes[0]!.delta).toBeGreaterThan(0);
  });

  it("compares with a git ref, and treats a ref without the file as a new stack", async () => {
    const repo = mkdtempSync(join(tmpdir(), "cost-git-"));
    git(repo, "init", "-q");
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "empty");
    const path = writeStackFile(repo, "civo-git", generateStackConfig({ provider: "civo", creators: 12 }));
    git(repo, "add", ".");
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "stack");
    writeStackFile(repo, "civo-git", generateStackConfig({ provider: "civo", creators: 10 }));
    const removed = await cost("--config", path, "--base", "HEAD");
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/Against HEAD:Pulumi.civo-git.yaml: .*creators 12 → 10 \(0 added, 2 removed\)/);
    expect(removed.stdout).toMatch(/removed: c00011, c00012/);
    const fresh = await cost("--config", path, "--base", "HEAD~1");
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/absent: a new stack.*creators 0 → 10 \(10 added/);
    const bad = await cost("--config", path, "--base", "no-such-ref");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--base: no-such-ref is neither a file nor a git ref/);
  });

  it("exits 1 with the full validation report on an invalid stack (as its own process) or base", async () => {
    const invalid = join(dir, "Pulumi.invalid.yaml");
    writeFileSync(
      invalid,
      "config:\n  creator-platform:cluster: {provider: civo, region: lon1, kubernetesVersion: 1.33.1-k3s1, nodePools: [{name: a, size: huge}]}\n" +
        "  creator-platform:platform: {domain: example.com}\n  creator-platform:creators: [{id: a, plan: nope}]\n",
    );
    const r = spawnCli("cost.ts", ["--config", invalid]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 problems/);
    expect(r.stderr).toMatch(/cluster.region/);
    expect(r.stderr).toMatch(/cluster.nodePools\[0\].size/);
    expect(r.stderr).toMatch(/creators\[0\].plan: unknown plan "nope"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const base = await cost("--config", stack, "--base", invalid);
    expect(base.code).toBe(1);
    expect(base.stderr).toMatch(/^base: /);
  });

  it("exits 1 when explicit node bounds cannot hold the creators", async () => {
    const tight = writeStackFile(dir, "tight", generateStackConfig({ provider: "civo", creators: 100, nodePools: [{ name: "a", size: "g4s.kube.large", count: 1 }] }));
    const r = await cost("--config", tight);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cluster.nodePools\[0\].count: .* need \d+ g4s.kube.large nodes but count allows 1/);
  });

  it("shows a ceiling violation in the report, and still exits 0", async () => {
    const over = writeStackFile(dir, "over", generateStackConfig({ provider: "civo", creators: 10, maxMonthlyCostPerCreator: 1 }));
    const r = await cost("--config", over, "--format", "markdown");
    expect(r.code).toBe(0);
    const { config } = loadStackFile(over);
    const violation = costCeilingViolation(costReport(config), config); // the figures: test/cost/ceiling.test.ts
    expect(violation).toMatch(/^maxMonthlyCostPerCreator is \$1.00 but this stack costs \$\d+\.\d\d/);
    expect(r.stdout).toContain(`> [!CAUTION]\n> ${violation}`);
  });
});
