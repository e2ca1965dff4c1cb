/**
 * The priced cluster of one stack: its provider model and prices, the pods to
 * place (creators, kube-system, add-ons) and the DaemonSets on every node.
 * The report and the cheapest-size search both size pools through it.
 */
import { ConfigError, type ResolvedConfig } from "../config/validate.ts";
import { addonWorkloads } from "./addon-requests.ts";
import { type PriceTable, ProviderPrices, regionProblems } from "./prices.ts";
import { PROVIDERS, type ProviderModel, type Resources, type SystemWorkload } from "./providers.ts";
import { type PoolInput, type SizedPool, sizePools } from "./sizing.ts";
import { type CreatorWorkload, type SleepingPool, creatorWorkloads, sleepingPools } from "./workloads.ts";

export type PricedCluster = Exclude<ResolvedConfig["cluster"], { provider: "existing" }>;

export interface Scenario {
  cluster: PricedCluster;
  model: ProviderModel;
  prices: ProviderPrices;
  creators: CreatorWorkload[];
  /** The sleeping plans' awake pools (their pods are among `pods`). */
  sleeping: SleepingPool[];
  /** Nodes added to the first pool sized by the packing: one spare when creators sleep, for a wake-up burst beyond the estimate and for drains. */
  spareNodes: number;
  /** Every pod to place: creators', the sleeping plans' awake pools and the cluster-wide system pods. */
  pods: Resources[];
  daemonSets: SystemWorkload[];
  clusterWide: SystemWorkload[];
  source: string;
}

/** `headroom: false` prices the sleeping plans without the burst room and the spare node (to say what they cost). */
export function scenario(config: ResolvedConfig, cluster: PricedCluster, table: PriceTable, asOf: string | undefined, source: string, headroom = true): Scenario {
  const model = PROVIDERS[cluster.provider];
  const unknownRegion = regionProblems(cluster, table);
  if (unknownRegion.length > 0) throw new ConfigError(source, unknownRegion);
  const block = config.storage.type === "block";
  const sleeping = sleepingPools(config.creators, config.plans, headroom ? config.sleep : { ...config.sleep, wakeBurstFraction: 0 }, block);
  const creators = creatorWorkloads(config.creators, config.plans, block, sleeping);
  const system = [...model.kubeSystem, ...addonWorkloads(config)];
  const clusterWide = system.filter((w) => !w.perNode);
  const systemPods = clusterWide.flatMap((w) =>
    Array.from({ length: w.pods }, () => ({ cpuMillis: w.cpuMillis / w.pods, memoryMiB: w.memoryMiB / w.pods, pods: 1, volumes: 0 })),
  );
  return {
    cluster,
    model,
    prices: new ProviderPrices(table, cluster.provider, asOf),
    creators,
    sleeping,
    spareNodes: headroom && sleeping.length > 0 ? 1 : 0,
    pods: [...creators.flatMap((c) => c.pods), ...sleeping.flatMap((p) => p.pods), ...systemPods],
    daemonSets: system.filter((w) => w.perNode),
    clusterWide,
    source,
  };
}

export const sizeField = (cluster: PricedCluster): string => (cluster.provider === "civo" ? "size" : "type");

export function configuredPools(s: Scenario): PoolInput[] {
  const pools: Array<{ name: string; size: string; count?: number; autoscaler?: { min: number; max: number } }> =
    s.cluster.provider === "civo" ? s.cluster.nodePools : s.cluster.nodePools.map((p) => ({ ...p, size: p.type }));
  return pools.map((p) => {
    const price = s.prices.node(p.size);
    return { ...p, shape: { vcpu: price.vcpu, memoryGiB: price.memoryGiB } };
  });
}

export interface PricedPools {
  pools: SizedPool[];
  /** Monthly price of one node, per pool. */
  unitUsd: number[];
  nodesUsd: number;
}

export function sizeAndPrice(s: Scenario, pools: PoolInput[]): PricedPools {
  const running = s.creators.filter((c) => c.pods.length > 0).length;
  const asleep = s.sleeping.reduce((sum, p) => sum + p.creators, 0);
  const awake = s.sleeping.reduce((sum, p) => sum + p.awake + p.burst, 0);
  const packed = sizePools({
    model: s.model,
    pools,
    sizeField: sizeField(s.cluster),
    pods: s.pods,
    daemonSets: s.daemonSets,
    source: s.source,
    what: `${running} always-awake creators${asleep > 0 ? `, ${awake} awake pods for ${asleep} sleeping creators` : ""} and the system pods`,
  });
  // The spare node goes to the first pool the packing sizes; explicit counts keep what they say.
  const spareAt = packed.findIndex((p) => p.source === "derived");
  const sized = packed.map((p, i) => (i === spareAt && s.spareNodes > 0 ? { ...p, count: p.count + s.spareNodes } : p));
  const unitUsd = sized.map((p) => s.prices.node(p.size).usdPerMonth);
  return { pools: sized, unitUsd, nodesUsd: sized.reduce((sum, p, i) => sum + p.count * unitUsd[i]!, 0) };
}
