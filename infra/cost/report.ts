/**
 * The cost report of one stack: nodes per pool from the packing, the monthly
 * bill and its breakdown, cost per creator overall and per plan, utilisation,
 * the cheapest node size, warnings and the assumptions behind the figures.
 * Plain JSON: it becomes a Pulumi stack output.
 */
import { GiB, bytes } from "../config/quantity.ts";
import type { ResolvedConfig } from "../config/validate.ts";
import { type Allocation, allocate } from "./allocation.ts";
import { objectStorageUsd, round, volumeUsd } from "./billing.ts";
import { sizeCandidates } from "./cheapest.ts";
import { type PriceTable, shippedPriceTable } from "./prices.ts";
import { type Resources, ZERO, add } from "./providers.ts";
import { planPods } from "./workloads.ts";
import { type PricedCluster, type PricedPools, type Scenario, configuredPools, scenario, sizeAndPrice } from "./scenario.ts";
import { SLEEP_ENGINE_VOLUME } from "../platform/sleep-engine.ts";
import type { PoolSource } from "./sizing.ts";
import { costWarnings } from "./warnings.ts";
import { assumptions } from "./assumptions.ts";

export interface CostReportOptions {
  /** Default: prices.yaml. */
  prices?: PriceTable;
  /** Use the newest price dated on or before this day (YYYY-MM-DD). Default: the newest entry. */
  asOf?: string;
  /** Named in a CapacityError: the stack file. */
  source?: string;
  /** Search every node size for a cheaper one (default true). */
  compareSizes?: boolean;
  /** Keep the sleeping plans' burst room and spare node (default true). */
  headroom?: boolean;
}

export interface SleepReport {
  /** The stack's assumption: the share of sleeping creators awake at the busiest moment. */
  peakAwakeFraction: number;
  wakeBurstFraction: number;
  /** Active creators whose plan sleeps. */
  sleepingCreators: number;
  /** Pods the nodes hold for them: awake at the peak, and the burst room. */
  awakePods: number;
  burstPods: number;
  spareNodes: number;
  /** What the burst room and the spare node add to the monthly bill. */
  headroomUsd: number;
  /** The same stack with every creator awake all the time. */
  alwaysAwake: { monthlyTotalUsd: number; perCreatorUsd: number; nodes: number };
}

export type Dimension = "cpu" | "memory" | "pods" | "volumes";

export interface NodePoolReport {
  pool: string;
  size: string;
  count: number;
  source: PoolSource;
  bounds: { min: number; max: number | null };
  unitUsd: number;
  monthlyUsd: number;
  /** One node's allocatable resources. */
  perNode: Resources;
  /** The pool's allocatable resources (count × perNode). */
  allocatable: Resources;
  requested: Resources;
  /** requested ÷ allocatable, per resource. */
  utilisation: Record<Dimension, number>;
  /** The resource that fills first. */
  limitedBy: Dimension;
}

export interface PlanReport {
  /** Creators of this plan with a site (active or suspended). */
  creators: number;
  perCreatorUsd: number;
  monthlyUsd: number;
  /** What one running creator of the plan requests. */
  requestsPerCreator: { cpuMillis: number; memoryMiB: number; pods: number };
}

export interface CheaperSize {
  size: string;
  count: number;
  nodesUsd: number;
  monthlyTotalUsd: number;
  perCreatorUsd: number;
  savingUsd: number;
  priceDate: string;
}

export interface Breakdown {
  nodes: number;
  loadBalancer: number;
  volumes: number;
  objectStorage: number;
  controlPlane: number;
}

export interface CostReport {
  provider: "civo" | "linode" | "existing";
  region: string | null;
  /** Creators with a site (active or suspended): the divisor of perCreatorUsd. */
  creators: number;
  creatorStates: { active: number; suspended: number; retired: number };
  monthlyTotalUsd: number;
  perCreatorUsd: number;
  /** Adds up to monthlyTotalUsd. */
  breakdown: Breakdown;
  nodes: NodePoolReport[];
  perPlan: Record<string, PlanReport>;
  /** How the node cost divides: creators' own requests, system pods and add-ons, idle capacity. */
  allocation: { requestsUsd: number; systemUsd: number; idleUsd: number; sharedUsd: number };
  cheaperSize?: CheaperSize;
  /** Present when creators sleep: the assumption the price rests on and what sleeping saves. */
  sleep?: SleepReport;
  warnings: string[];
  /** The newest date among the prices used (null when nothing is billed). */
  priceDate: string | null;
  prices: Array<{ item: string; usdPerMonth: number; date: string; source: string }>;
  assumptions: string[];
}

const DIMENSIONS: Record<Dimension, keyof Resources> = { cpu: "cpuMillis", memory: "memoryMiB", pods: "pods", volumes: "volumes" };

function states(config: ResolvedConfig): CostReport["creatorStates"] {
  const count = (state: string) => config.creators.filter((c) => c.state === state).length;
  return { active: count("active"), suspended: count("suspended"), retired: count("retired") };
}

function poolReport(pool: ReturnType<typeof sizeAndPrice>["pools"][number], unitUsd: number, blockVolumes: boolean): NodePoolReport {
  const allocatable: Resources = {
    cpuMillis: pool.perNode.cpuMillis * pool.count,
    memoryMiB: pool.perNode.memoryMiB * pool.count,
    pods: pool.perNode.pods * pool.count,
    volumes: pool.perNode.volumes * pool.count,
  };
  const utilisation = Object.fromEntries(
    Object.entries(DIMENSIONS).map(([d, key]) => [d, allocatable[key] > 0 ? round(pool.requested[key] / allocatable[key], 3) : 0]),
  ) as Record<Dimension, number>;
  const considered = (Object.keys(DIMENSIONS) as Dimension[]).filter((d) => d !== "volumes" || blockVolumes);
  const limitedBy = considered.reduce((a, b) => (utilisation[b] > utilisation[a] ? b : a));
  return {
    pool: pool.name,
    size: pool.size,
    count: pool.count,
    source: pool.source,
    bounds: pool.bounds,
    unitUsd,
    monthlyUsd: round(unitUsd * pool.count),
    perNode: pool.perNode,
    allocatable,
    requested: { ...pool.requested, cpuMillis: Math.round(pool.requested.cpuMillis), memoryMiB: Math.round(pool.requested.memoryMiB) },
    utilisation,
    limitedBy,
  };
}

function planRequests(config: ResolvedConfig, plan: string): PlanReport["requestsPerCreator"] {
  const r = planPods(config.plans[plan]!, plan, false).reduce<Resources>((sum, pod) => add(sum, pod), ZERO);
  return { cpuMillis: r.cpuMillis, memoryMiB: Math.round(r.memoryMiB), pods: r.pods };
}

function unbilled(config: ResolvedConfig): CostReport {
  const st = states(config);
  const withSite = st.active + st.suspended;
  const perPlan: CostReport["perPlan"] = {};
  for (const c of config.creators) {
    if (c.state === "retired") continue;
    const entry = (perPlan[c.plan] ??= { creators: 0, perCreatorUsd: 0, monthlyUsd: 0, requestsPerCreator: { cpuMillis: 0, memoryMiB: 0, pods: 0 } });
    entry.creators++;
  }
  return {
    provider: "existing",
    region: null,
    creators: withSite,
    creatorStates: st,
    monthlyTotalUsd: 0,
    perCreatorUsd: 0,
    breakdown: { nodes: 0, loadBalancer: 0, volumes: 0, objectStorage: 0, controlPlane: 0 },
    nodes: [],
    perPlan,
    allocation: { requestsUsd: 0, systemUsd: 0, idleUsd: 0, sharedUsd: 0 },
    warnings: costWarnings({ config, report: undefined }),
    priceDate: null,
    prices: [],
    assumptions: [
      "cluster.provider is existing: the platform runs on a cluster it does not create, so this stack adds no bill of its own (nodes, load balancer and volumes are paid wherever that cluster runs).",
    ],
  };
}

/** What the stack is billed, item by item, and each creator's own volume bill. */
interface Bill {
  breakdown: Breakdown;
  monthlyTotalUsd: number;
  volumeUsdById: Map<string, number>;
  /** Load balancer, control plane, object storage and the platform's own volumes: shared by every creator. */
  sharedUsd: number;
}

function bill(config: ResolvedConfig, s: Scenario, nodesUsd: number): Bill {
  const block = config.storage.type === "block";
  const volumeUsdById = new Map(s.creators.map((c) => [c.id, block ? volumeUsd(s.prices, c.volumeGiB) : 0]));
  const totalVolumeGiB = s.creators.reduce((sum, c) => sum + c.volumeGiB, 0);
  const loadBalancer = s.prices.loadBalancer().usdPerMonth;
  const controlPlane = s.prices.controlPlane(s.cluster.provider === "linode" && s.cluster.highAvailability).usdPerMonth;
  const objectStorage = objectStorageUsd(s.prices, totalVolumeGiB);
  // Prometheus keeps its data on a volume of its own (the cluster's default class: block storage),
  // as the sleep engine keeps its sessions.
  const platformVolumes =
    (config.monitoring.enabled ? volumeUsd(s.prices, bytes(config.monitoring.storage) / GiB) : 0) +
    (s.sleeping.length > 0 ? volumeUsd(s.prices, bytes(SLEEP_ENGINE_VOLUME) / GiB) : 0);
  const volumes = [...volumeUsdById.values()].reduce((a, b) => a + b, platformVolumes);
  const breakdown: Breakdown = {
    nodes: round(nodesUsd),
    loadBalancer: round(loadBalancer),
    volumes: round(volumes),
    objectStorage: round(objectStorage),
    controlPlane: round(controlPlane),
  };
  return {
    breakdown,
    monthlyTotalUsd: round(Object.values(breakdown).reduce((a, b) => a + b, 0)),
    volumeUsdById,
    sharedUsd: loadBalancer + controlPlane + objectStorage + platformVolumes,
  };
}

/** Who pays for the nodes: each creator its requests, the rest shared in proportion (allocation.ts). */
function allocationOf(s: Scenario, priced: PricedPools, billed: Bill): Allocation {
  const total = (items: Array<{ cpuMillis: number; memoryMiB: number }>, times = 1) =>
    items.reduce((sum, w) => ({ cpuMillis: sum.cpuMillis + w.cpuMillis * times, memoryMiB: sum.memoryMiB + w.memoryMiB * times }), { cpuMillis: 0, memoryMiB: 0 });
  const nodeCount = priced.pools.reduce((sum, p) => sum + p.count, 0);
  const clusterWide = total(s.clusterWide);
  const daemonSets = total(s.daemonSets, nodeCount);
  return allocate({
    pools: priced.pools.map((p, i) => {
      const price = s.prices.node(p.size);
      return { usd: p.count * priced.unitUsd[i]!, shape: { vcpu: price.vcpu, memoryGiB: price.memoryGiB }, count: p.count, perNode: p.perNode };
    }),
    creators: s.creators,
    volumeUsd: billed.volumeUsdById,
    clusterUsd: billed.sharedUsd,
    systemRequested: { cpuMillis: clusterWide.cpuMillis + daemonSets.cpuMillis, memoryMiB: clusterWide.memoryMiB + daemonSets.memoryMiB },
  });
}

/** Creators, their share of the bill and one creator's requests, per plan. */
function perPlanReports(config: ResolvedConfig, s: Scenario, allocation: Allocation): CostReport["perPlan"] {
  const perPlan: CostReport["perPlan"] = {};
  for (const creator of s.creators) {
    if (!creator.hasSite) continue;
    const entry = (perPlan[creator.plan] ??= { creators: 0, perCreatorUsd: 0, monthlyUsd: 0, requestsPerCreator: planRequests(config, creator.plan) });
    entry.creators++;
    entry.monthlyUsd += allocation.perCreator.get(creator.id) ?? 0;
  }
  for (const entry of Object.values(perPlan)) {
    entry.perCreatorUsd = round(entry.monthlyUsd / entry.creators, 4);
    entry.monthlyUsd = round(entry.monthlyUsd);
  }
  return perPlan;
}

/**
 * The cheapest node size for the whole stack, when it beats the configured pools.
 * The search prices every size on a copy of the price log; only the size it
 * finds is recorded in the report's log.
 */
function cheaperSizeOf(s: Scenario, billed: Bill, withSite: number): CheaperSize | undefined {
  const best = sizeCandidates({ ...s, prices: s.prices.withFreshLog() })[0];
  if (!best || round(best.nodesUsd) >= billed.breakdown.nodes) return undefined;
  s.prices.node(best.size);
  const total = round(billed.monthlyTotalUsd - billed.breakdown.nodes + best.nodesUsd);
  return {
    size: best.size,
    count: best.count,
    nodesUsd: round(best.nodesUsd),
    monthlyTotalUsd: total,
    perCreatorUsd: withSite > 0 ? round(total / withSite, 4) : 0,
    savingUsd: round(billed.monthlyTotalUsd - total),
    priceDate: best.priceDate,
  };
}

export function costReport(config: ResolvedConfig, options: CostReportOptions = {}): CostReport {
  if (config.cluster.provider === "existing") return unbilled(config);
  const cluster: PricedCluster = config.cluster;
  const s = scenario(config, cluster, options.prices ?? shippedPriceTable(), options.asOf, options.source ?? "stack configuration", options.headroom ?? true);
  const priced = sizeAndPrice(s, configuredPools(s));
  const billed = bill(config, s, priced.nodesUsd);
  const st = states(config);
  const withSite = st.active + st.suspended;
  const allocation = allocationOf(s, priced, billed);
  const cheaperSize = options.compareSizes === false ? undefined : cheaperSizeOf(s, billed, withSite);
  const prices = [...s.prices.used.values()].map((e) => ({ item: e.item, usdPerMonth: e.usdPerMonth, date: e.date, source: e.source }));
  const report: CostReport = {
    provider: cluster.provider,
    region: cluster.region,
    creators: withSite,
    creatorStates: st,
    monthlyTotalUsd: billed.monthlyTotalUsd,
    perCreatorUsd: withSite > 0 ? round(billed.monthlyTotalUsd / withSite, 4) : 0,
    breakdown: billed.breakdown,
    nodes: priced.pools.map((p, i) => poolReport(p, priced.unitUsd[i]!, config.storage.type === "block")),
    perPlan: perPlanReports(config, s, allocation),
    allocation: {
      requestsUsd: round(allocation.requestsUsd),
      systemUsd: round(allocation.systemUsd),
      idleUsd: round(allocation.idleUsd),
      sharedUsd: round(allocation.sharedUsd),
    },
    ...(cheaperSize ? { cheaperSize } : {}),
    warnings: [],
    priceDate: prices.reduce<string | null>((newest, p) => (newest === null || p.date > newest ? p.date : newest), null),
    prices,
    assumptions: [],
  };
  if (s.sleeping.length > 0 && options.headroom !== false) report.sleep = sleepReport(config, s, report, options);
  report.warnings = costWarnings({ config, report });
  report.assumptions = assumptions({ config, scenario: s, report, asOf: options.asOf });
  return report;
}

/** Every plan as if it never slept. */
export const alwaysAwake = (config: ResolvedConfig): ResolvedConfig => ({
  ...config,
  plans: Object.fromEntries(Object.entries(config.plans).map(([name, { sleepAfter: _, ...plan }]) => [name, plan])),
});

/** The same node sizes with the counts the packing gives: a comparison must not fail on the stack's own bounds. */
function unbounded(config: ResolvedConfig): ResolvedConfig {
  if (config.cluster.provider === "existing") return config;
  const pools = config.cluster.nodePools.map(({ count: _count, autoscaler: _autoscaler, ...pool }) => pool);
  return { ...config, cluster: { ...config.cluster, nodePools: pools } as ResolvedConfig["cluster"] };
}

function sleepReport(config: ResolvedConfig, s: Scenario, report: CostReport, options: CostReportOptions): SleepReport {
  const single = { ...options, compareSizes: false };
  // Always awake on the same node sizes, however many nodes that takes (fixed counts could not hold them).
  const awake = costReport(alwaysAwake(unbounded(config)), single);
  const bare = costReport(config, { ...single, headroom: false });
  return {
    peakAwakeFraction: config.sleep.peakAwakeFraction,
    wakeBurstFraction: config.sleep.wakeBurstFraction,
    sleepingCreators: s.sleeping.reduce((sum, p) => sum + p.creators, 0),
    awakePods: s.sleeping.reduce((sum, p) => sum + p.awake, 0),
    burstPods: s.sleeping.reduce((sum, p) => sum + p.burst, 0),
    spareNodes: s.spareNodes,
    headroomUsd: round(report.monthlyTotalUsd - bare.monthlyTotalUsd),
    alwaysAwake: { monthlyTotalUsd: awake.monthlyTotalUsd, perCreatorUsd: awake.perCreatorUsd, nodes: awake.nodes.reduce((n, p) => n + p.count, 0) },
  };
}

/** The message that fails the offline plan and `pulumi preview` when the stack costs more per creator than allowed. */
export function costCeilingViolation(report: CostReport, config: ResolvedConfig): string | undefined {
  const limit = config.maxMonthlyCostPerCreator;
  if (limit === undefined || report.perCreatorUsd <= limit) return undefined;
  const items = Object.entries(report.breakdown)
    .filter(([, usd]) => usd > 0)
    .map(([item, usd]) => `${item} $${usd.toFixed(2)}`)
    .join(", ");
  const cheaper = report.cheaperSize
    ? ` ${report.cheaperSize.count} × ${report.cheaperSize.size} nodes would bring it to $${report.cheaperSize.perCreatorUsd.toFixed(2)}.`
    : "";
  return (
    `maxMonthlyCostPerCreator is $${limit.toFixed(2)} but this stack costs $${report.perCreatorUsd.toFixed(2)} per creator per month ` +
    `($${report.monthlyTotalUsd.toFixed(2)} for ${report.creators} creators: ${items}).${cheaper} ` +
    "Lower the plans' requests, choose a cheaper node size, or raise maxMonthlyCostPerCreator."
  );
}
