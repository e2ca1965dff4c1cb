/**
 * Sleeping plans in the cost model (infra/cost/workloads.ts sleepingPools,
 * scenario.ts, report.ts sleepReport), on the fixture price table: the nodes
 * hold the awake share of the sleeping creators plus burst room and one spare
 * node, each sleeping creator pays its share, and the report says what the
 * assumption is and what sleeping saves.
 */
import { describe, expect, it } from "vitest";
import type { ResolvedConfig } from "../../infra/config/validate.ts";
import { alwaysAwake } from "../../infra/cost/report.ts";
import { generateResolvedConfig } from "../../scripts/fixtures/stacks.ts";
import { FIXTURE_PRICES, fixtureCostReport } from "../support/fixture-prices.ts";

const withSleep = (config: ResolvedConfig, peakAwakeFraction: number, wakeBurstFraction = 0.05): ResolvedConfig => ({ ...config, sleep: { peakAwakeFraction, wakeBurstFraction } });
const nodeCount = (r: ReturnType<typeof fixtureCostReport>) => r.nodes.reduce((n, p) => n + p.count, 0);

describe("100 sleeping starter creators on Civo g4s.kube.large", () => {
  const config = withSleep(generateResolvedConfig({ provider: "civo", creators: 100 }), 0.35);
  const report = fixtureCostReport(config);
  const awake = fixtureCostReport(alwaysAwake(config));

  it("holds ceil(100 × 0.35) = 35 awake pods and ceil(100 × 0.05) = 5 for a burst, and keeps one spare node", () => {
    expect(report.sleep).toMatchObject({ peakAwakeFraction: 0.35, wakeBurstFraction: 0.05, sleepingCreators: 100, awakePods: 35, burstPods: 5, spareNodes: 1 });
    // Starter pods: 60m, 216 MiB each; 40 of them, the system pods and the DaemonSets, plus the spare.
    const bare = fixtureCostReport(config, { headroom: false });
    expect(nodeCount(report)).toBeGreaterThanOrEqual(nodeCount(bare) + 1);
    expect(report.sleep?.headroomUsd).toBeCloseTo(report.monthlyTotalUsd - bare.monthlyTotalUsd, 2);
    // At least the spare node's price: one g4s.kube.large at the fixture's newest price.
    const large = FIXTURE_PRICES.entries.filter((e) => e.item === "g4s.kube.large").sort((a, b) => b.date.localeCompare(a.date))[0];
    expect(report.sleep?.headroomUsd ?? 0).toBeGreaterThanOrEqual(large?.usdPerMonth ?? Infinity);
  });

  it("charges each sleeping creator its share of the awake pool: (35 + 5) / 100 of its pod", () => {
    const requested = report.nodes[0]!.requested;
    // The creators' share of the requests: 40 pods of 60m / 216 MiB.
    expect(requested.cpuMillis).toBeGreaterThanOrEqual(40 * 60);
    expect(report.perPlan.starter?.requestsPerCreator).toEqual({ cpuMillis: 60, memoryMiB: 216, pods: 1 });
    expect(report.perPlan.starter?.creators).toBe(100);
  });

  it("costs less than every creator awake, and says both", () => {
    expect(report.monthlyTotalUsd).toBeLessThan(awake.monthlyTotalUsd);
    expect(report.sleep?.alwaysAwake).toEqual({ monthlyTotalUsd: awake.monthlyTotalUsd, perCreatorUsd: awake.perCreatorUsd, nodes: nodeCount(awake) });
    expect(awake.sleep).toBeUndefined();
  });

  it("states the assumption plainly, so nobody mistakes it for a measurement", () => {
    const text = report.assumptions.join("\n");
    expect(text).toMatch(/ASSUMPTION, not a measurement: at the busiest moment 35 % of the 100 creators whose plan sleeps are awake/);
    expect(text).toMatch(/plus 5 for a burst of wake-ups .* and 1 spare node/);
    expect(text).not.toMatch(/leave no spare node/);
  });
});

describe("what the awake share changes", () => {
  const base = generateResolvedConfig({ provider: "civo", creators: 200 });

  it("never costs more per creator as the awake share falls", () => {
    const perCreator = [1, 0.75, 0.5, 0.35, 0.2].map((f) => fixtureCostReport(withSleep(base, f)).perCreatorUsd);
    for (let i = 1; i < perCreator.length; i++) expect(perCreator[i]!).toBeLessThanOrEqual(perCreator[i - 1]!);
  });

  it("at a share of one and no burst room, holds every creator's pod: the always-awake nodes plus the spare", () => {
    const all = fixtureCostReport(withSleep(base, 1, 0));
    const awake = fixtureCostReport(alwaysAwake(base));
    expect(all.sleep?.awakePods).toBe(200);
    expect(nodeCount(all)).toBe(nodeCount(awake) + 1);
  });

  it("counts only active creators of sleeping plans: suspended ones run nothing, plans that never sleep run always", () => {
    const config = withSleep(generateResolvedConfig({ provider: "civo", creators: 40, suspended: 10, mix: { starter: 3, pro: 1 } }), 0.5);
    const mixed = fixtureCostReport(config);
    const activeStarters = config.creators.filter((c) => c.plan === "starter" && c.state === "active").length;
    expect(config.creators.some((c) => c.plan === "starter" && c.state === "suspended")).toBe(true);
    expect(mixed.sleep?.sleepingCreators).toBe(activeStarters);
    expect(mixed.sleep?.awakePods).toBe(Math.ceil((mixed.sleep?.sleepingCreators ?? 0) * 0.5));
    expect(mixed.perPlan.pro?.perCreatorUsd).toBeGreaterThan(mixed.perPlan.starter?.perCreatorUsd ?? Infinity);
  });

  it("adds no spare node and no sleep section when no creator sleeps", () => {
    const pro = fixtureCostReport(generateResolvedConfig({ provider: "civo", creators: 10, mix: { pro: 1 } }));
    expect(pro.sleep).toBeUndefined();
    expect(pro.assumptions.join("\n")).toMatch(/leave no spare node/);
  });
});
