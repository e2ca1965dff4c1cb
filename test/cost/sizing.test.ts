import { describe, expect, it } from "vitest";
import { CapacityError } from "../../infra/cost/index.ts";
import { ConfigError } from "../../infra/config/validate.ts";
import { alwaysAwake } from "../../infra/cost/report.ts";
import { generateResolvedConfig } from "../../scripts/fixtures/stacks.ts";

/** The stacks here keep every creator awake (their plans without sleepAfter): sleeping is test/cost/sleeping.test.ts. */
const awakeConfig = (...args: Parameters<typeof generateResolvedConfig>) => alwaysAwake(generateResolvedConfig(...args));
import { fixtureCostReport } from "../support/fixture-prices.ts";

const large = (extra: Record<string, unknown> = {}) => [{ name: "pool-a", size: "g4s.kube.large", ...extra }];

describe("node counts follow from the creators", () => {
  it("adds nodes as creators are added", () => {
    const counts = [10, 100, 200, 400].map((n) => fixtureCostReport(awakeConfig({ provider: "civo", creators: n })).nodes[0]!.count);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);
    // 400 starter creators at 200 MiB on nodes of 6048 MiB need at least 400 × 200 / 6048 = 13.2 → 14 nodes
    expect(counts[3]!).toBeGreaterThanOrEqual(14);
  });

  it("keeps an explicit count that is large enough", () => {
    const report = fixtureCostReport(awakeConfig({ provider: "civo", creators: 10, nodePools: large({ count: 3 }) }));
    expect(report.nodes[0]).toMatchObject({ count: 3, source: "count" });
    expect(report.breakdown.nodes).toBeCloseTo(3 * 43.45, 2);
    // The packing needs only one: the cheapest-size search points that out.
    expect(report.cheaperSize).toBeDefined();
  });

  it("bills the autoscaler's minimum when the creators need fewer, and the packing when they need more", () => {
    const few = fixtureCostReport(awakeConfig({ provider: "civo", creators: 10, nodePools: large({ autoscaler: { min: 2, max: 20 } }) }));
    expect(few.nodes[0]).toMatchObject({ count: 2, source: "autoscaler", bounds: { min: 2, max: 20 } });
    const many = fixtureCostReport(awakeConfig({ provider: "civo", creators: 200, nodePools: large({ autoscaler: { min: 2, max: 20 } }) }));
    const derived = fixtureCostReport(awakeConfig({ provider: "civo", creators: 200 }));
    expect(many.nodes[0]!.count).toBe(derived.nodes[0]!.count);
  });

  it("rejects a count that cannot hold the creators, naming the field, needed and allowed", () => {
    const config = awakeConfig({ provider: "civo", creators: 200, nodePools: large({ count: 2 }) });
    const needed = fixtureCostReport(awakeConfig({ provider: "civo", creators: 200 })).nodes[0]!.count;
    let error: unknown;
    try {
      fixtureCostReport(config, { source: "stacks/Pulumi.test.yaml" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CapacityError);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as CapacityError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe("cluster.nodePools[0].count");
    expect(problems[0]!.message).toContain(`need ${needed} g4s.kube.large nodes but count allows 2`);
    expect((error as Error).message).toMatch(/^stacks\/Pulumi.test.yaml: 1 problem/);
  });

  it("rejects autoscaler bounds that are too small, on autoscaler.max", () => {
    const config = awakeConfig({ provider: "linode", creators: 20, nodePools: [{ name: "p", type: "g6-standard-4", autoscaler: { min: 1, max: 3 } }] });
    // 20 volumes, 6 attachments per node → 4 nodes needed
    expect(() => fixtureCostReport(config)).toThrow(/cluster.nodePools\[0\].autoscaler.max: .*need 4 g6-standard-4 nodes but autoscaler.max allows 3/);
  });

  it("rejects a pod larger than any node of the pool, on the size field", () => {
    const big = { ghost: { requests: { cpu: "2", memory: "2Gi" }, limits: { cpu: "2", memory: "3Gi" }, heapMb: 512 }, sqld: { requests: { cpu: "10m", memory: "24Mi" }, limits: { cpu: "100m", memory: "64Mi" } }, storage: "1Gi" };
    const config = awakeConfig({ provider: "civo", creators: 1, plans: { big }, mix: { big: 1 }, nodePools: [{ name: "p", size: "g4s.kube.small" }] });
    expect(() => fixtureCostReport(config)).toThrow(/cluster.nodePools\[0\].size: a pod requesting 2010m CPU, 2072 MiB does not fit one g4s.kube.small node/);
  });

  it("fills a fixed pool before growing a pool sized by the packing", () => {
    const report = fixtureCostReport(
      awakeConfig({
        provider: "civo",
        creators: 100,
        nodePools: [
          { name: "fixed", size: "g4s.kube.large", count: 2 },
          { name: "grow", size: "g4s.kube.large" },
        ],
      }),
    );
    const single = fixtureCostReport(awakeConfig({ provider: "civo", creators: 100 }));
    expect(report.nodes.map((n) => n.count)).toEqual([2, single.nodes[0]!.count - 2]);
  });
});
