import { describe, expect, it } from "vitest";
import { generateResolvedConfig } from "../../scripts/fixtures/stacks.ts";
import { alwaysAwake } from "../../infra/cost/report.ts";
import { fixtureCostReport } from "../support/fixture-prices.ts";

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

// The hand-computed stacks keep every creator awake (alwaysAwake: their plans without sleepAfter);
// sleeping plans are priced in test/cost/sleeping.test.ts.
describe("a hand-computed Civo stack: 10 starter creators on g4s.kube.large", () => {
  // One creator: Ghost 50m/192Mi + sqld 10m/24Mi = 60m, 216 MiB, 1 pod, one 1 GiB volume.
  // Cluster-wide system pods: coredns 100m/70 (estimate) and the add-ons of infra/platform/addons.ts:
  // traefik 100m/128 (2 pods), cert-manager 30m/96 (3), metrics-server 20m/48 (1),
  // monitoring 140m/(256 + 10 × 1.5 + 48 + 64 + 32 = 415) (4), the shared cache 2 × 50m/96 (2) = 490m, 949 MiB, 13 pods.
  // DaemonSets per node: civo-csi-node (no requests) + node-exporter 10m/24 MiB = 2 pods.
  // Requests: 10 × (60m, 216) + (490m, 949) = 1090m, 3109 MiB, 23 pods: one node (3920m, 6048 MiB allocatable).
  const report = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 10 })));

  it("needs one node and bills the newest of the dated prices (2026-09-01)", () => {
    expect(report.nodes).toHaveLength(1);
    expect(report.nodes[0]).toMatchObject({ size: "g4s.kube.large", count: 1, source: "derived", unitUsd: 43.45 });
    expect(report.priceDate).toBe("2026-09-01");
  });

  it("adds up: nodes 43.45 + LB 10.86 + volumes (10 × 1 GB + Prometheus 10 GB) × 0.11 + object storage 5.43 = 61.94", () => {
    expect(report.breakdown).toEqual({ nodes: 43.45, loadBalancer: 10.86, volumes: 2.2, objectStorage: 5.43, controlPlane: 0 });
    expect(report.monthlyTotalUsd).toBe(61.94);
    expect(sum(Object.values(report.breakdown))).toBeCloseTo(report.monthlyTotalUsd, 9);
    expect(report.perCreatorUsd).toBeCloseTo(6.194, 4);
  });

  it("reports utilisation as requested ÷ allocatable, DaemonSets included", () => {
    // CPU (1090 + 10) / 3920 = 0.281; memory (3109 + 24) / 6048 = 0.518; pods 25 / 110 = 0.227
    expect(report.nodes[0]!.requested).toEqual({ cpuMillis: 1100, memoryMiB: 3133, pods: 25, volumes: 10 });
    expect(report.nodes[0]!.utilisation).toEqual({ cpu: 0.281, memory: 0.518, pods: 0.227, volumes: 0.01 });
    expect(report.nodes[0]!.limitedBy).toBe("memory");
  });

  it("finds that three g4s.kube.small nodes are cheaper", () => {
    // small: 940m, 1336 MiB allocatable; minus node-exporter 930m, 1312 MiB. Memory 3109 / 1312 → 3 nodes
    // × $10.86 = $32.58, which beats one large at $43.45 by $10.87. Two mediums cost $43.46.
    expect(report.cheaperSize).toMatchObject({ size: "g4s.kube.small", count: 3, nodesUsd: 32.58, savingUsd: 10.87, monthlyTotalUsd: 51.07 });
    expect(report.warnings.join("\n")).toMatch(/3 × g4s.kube.small would cost \$10.87 less/);
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe("a hand-computed LKE stack: 10 starter creators on g6-standard-4, block storage, HA control plane", () => {
  // Each node attaches max(8, 8) − 2 = 6 volumes: 10 creators with a volume need 2 nodes, far below memory.
  // Volumes bill the 10 GB minimum: 10 × 10 GB × $0.10 = $10, plus Prometheus's 10 GB: $1.
  // Object storage: 10 GB within the 250 GB unit: $5.
  const report = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "linode", creators: 10, highAvailability: true })));

  it("is bound by volume attachments, and bills 2 × 48 + 10 + 11 + 5 + 60 = 182", () => {
    expect(report.nodes[0]).toMatchObject({ count: 2, limitedBy: "volumes" });
    expect(report.breakdown).toEqual({ nodes: 96, loadBalancer: 10, volumes: 11, objectStorage: 5, controlPlane: 60 });
    expect(report.monthlyTotalUsd).toBe(182);
    expect(report.warnings.join("\n")).toMatch(/block-volume attachments fill first \(6 per g6-standard-4 node/);
    expect(report.assumptions.join("\n")).toMatch(/ESTIMATE/);
  });

  it("costs no volumes with local storage, and says so", () => {
    const local = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "linode", creators: 10, storage: { type: "local" } })));
    expect(local.breakdown.volumes).toBe(1); // Prometheus's own volume only
    expect(local.nodes[0]!.count).toBe(1);
    expect(local.assumptions.join("\n")).toMatch(/storage.type local/);
  });
});

describe("creator states and plans", () => {
  it("runs no pods for suspended and retired creators but bills every volume; retired creators have no site", () => {
    // 8 active, 1 suspended, 1 retired: volumes for 10, pods for 8, per-creator divisor 9.
    const report = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 10, suspended: 1, retired: 1 })));
    const all = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 10 })));
    expect(report.creatorStates).toEqual({ active: 8, suspended: 1, retired: 1 });
    expect(report.creators).toBe(9);
    expect(report.breakdown.volumes).toBe(all.breakdown.volumes);
    expect(all.nodes[0]!.requested.pods - report.nodes[0]!.requested.pods).toBe(2);
    expect(report.perCreatorUsd).toBeCloseTo(report.monthlyTotalUsd / 9, 4);
  });

  it("spreads shared costs by requests: per-plan totals add up to the bill, and bigger plans pay more", () => {
    const report = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 60, mix: { starter: 3, standard: 2, pro: 1 } })));
    const plans = report.perPlan;
    expect(Object.keys(plans).sort()).toEqual(["pro", "standard", "starter"]);
    expect(plans.starter!.creators + plans.standard!.creators + plans.pro!.creators).toBe(60);
    expect(sum(Object.values(plans).map((p) => p.monthlyUsd))).toBeCloseTo(report.monthlyTotalUsd, 1);
    expect(plans.starter!.perCreatorUsd).toBeLessThan(plans.standard!.perCreatorUsd);
    expect(plans.standard!.perCreatorUsd).toBeLessThan(plans.pro!.perCreatorUsd);
    // standard: Ghost 100m/208 + sqld 20m/32 = 120m, 240 MiB, one pod (the shared cache is the platform's)
    expect(plans.standard!.requestsPerCreator).toEqual({ cpuMillis: 120, memoryMiB: 240, pods: 1 });
  });
});

describe("an existing cluster", () => {
  it("adds no bill and says why", () => {
    const report = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "existing", creators: 5 })));
    expect(report.monthlyTotalUsd).toBe(0);
    expect(report.nodes).toEqual([]);
    expect(report.creators).toBe(5);
    expect(report.assumptions[0]).toMatch(/existing.*no bill of its own/);
  });
});

describe("a big stack", () => {
  it("warns past 150 creators and explains sharding", () => {
    const report = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 151 })));
    expect(report.warnings.join("\n")).toMatch(/151 creators, more than the ~150.*Shard it into 2 stacks/);
    const fine = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 150 })));
    expect(fine.warnings.join("\n")).not.toMatch(/Shard/);
  });
});

describe("a plan of absurd size", () => {
  it("is accepted with a warning that gives its monthly cost", () => {
    const huge = {
      ghost: { requests: { cpu: "4", memory: "16Gi" }, limits: { cpu: "4", memory: "16Gi" }, heapMb: 512 },
      sqld: { requests: { cpu: "10m", memory: "24Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
      storage: "1Gi",
    };
    const report = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 3, plans: { huge }, mix: { huge: 1 }, nodePools: [{ name: "a", size: "g4s.kube.2xlarge" }] })));
    expect(report.warnings.join("\n")).toMatch(/Plan huge asks 4010m CPU and 16408 MiB per creator, far beyond any built-in plan: \$\d+\.\d\d a month for each of its 3 creators/);
    const normal = fixtureCostReport(alwaysAwake(generateResolvedConfig({ provider: "civo", creators: 3 })));
    expect(normal.warnings.join("\n")).not.toMatch(/far beyond/);
  });
});
