/**
 * Who pays for what, OpenCost style: node cost is split into CPU and memory,
 * each workload is charged its requests at those unit prices, and the shared
 * costs (system pods, idle capacity, load balancer, control plane, object
 * storage, retired creators' volumes) are spread over the creators with a site
 * in proportion to their own charge. The per-plan figures then add up to the total.
 */
import type { NodeShape, Resources } from "./providers.ts";
import type { CreatorWorkload } from "./workloads.ts";

/**
 * OpenCost's default on-demand prices (per vCPU-hour and per GiB-hour) give the split of a
 * node's price between CPU and memory when the provider sells only bundles.
 */
export const OPENCOST_CPU_PER_VCPU_HOUR = 0.031611;
export const OPENCOST_RAM_PER_GIB_HOUR = 0.004237;

export function cpuFraction(shape: NodeShape): number {
  const cpu = shape.vcpu * OPENCOST_CPU_PER_VCPU_HOUR;
  return cpu / (cpu + shape.memoryGiB * OPENCOST_RAM_PER_GIB_HOUR);
}

export interface PoolCost {
  usd: number;
  shape: NodeShape;
  count: number;
  perNode: Resources;
}

export interface AllocationInput {
  pools: PoolCost[];
  creators: CreatorWorkload[];
  /** Monthly volume bill of each creator, by id. */
  volumeUsd: Map<string, number>;
  /** Load balancer, control plane and object storage. */
  clusterUsd: number;
  /** What kube-system and the platform add-ons request, cluster-wide. */
  systemRequested: { cpuMillis: number; memoryMiB: number };
}

export interface Allocation {
  /** Monthly cost of each creator with a site, by id. */
  perCreator: Map<string, number>;
  /** Charged to creators for their own requests. */
  requestsUsd: number;
  /** Node capacity that nothing requests. */
  idleUsd: number;
  /** Node capacity the system pods and add-ons request. */
  systemUsd: number;
  /** Everything spread over the creators in proportion to their requests. */
  sharedUsd: number;
}

export function allocate(input: AllocationInput): Allocation {
  let cpuUsd = 0;
  let memoryUsd = 0;
  let cpuMillis = 0;
  let memoryMiB = 0;
  for (const pool of input.pools) {
    const fraction = cpuFraction(pool.shape);
    cpuUsd += pool.usd * fraction;
    memoryUsd += pool.usd * (1 - fraction);
    cpuMillis += pool.perNode.cpuMillis * pool.count;
    memoryMiB += pool.perNode.memoryMiB * pool.count;
  }
  const perMilli = cpuMillis > 0 ? cpuUsd / cpuMillis : 0;
  const perMiB = memoryMiB > 0 ? memoryUsd / memoryMiB : 0;
  const nodesUsd = cpuUsd + memoryUsd;

  const withSite = input.creators.filter((c) => c.hasSite);
  const own = new Map(withSite.map((c) => [c.id, c.requested.cpuMillis * perMilli + c.requested.memoryMiB * perMiB]));
  const requestsUsd = [...own.values()].reduce((a, b) => a + b, 0);
  // Requests beyond what the nodes offer cannot happen after packing; guard the split anyway.
  const rest = Math.max(0, nodesUsd - requestsUsd);
  const retiredVolumes = input.creators.filter((c) => !c.hasSite).reduce((sum, c) => sum + (input.volumeUsd.get(c.id) ?? 0), 0);
  const sharedUsd = rest + input.clusterUsd + retiredVolumes;

  const perCreator = new Map<string, number>();
  for (const creator of withSite) {
    const weight = requestsUsd > 0 ? (own.get(creator.id) ?? 0) / requestsUsd : 1 / withSite.length;
    perCreator.set(creator.id, (own.get(creator.id) ?? 0) + (input.volumeUsd.get(creator.id) ?? 0) + sharedUsd * weight);
  }
  const systemUsd = Math.min(rest, input.systemRequested.cpuMillis * perMilli + input.systemRequested.memoryMiB * perMiB);
  return { perCreator, requestsUsd, systemUsd, idleUsd: rest - systemUsd, sharedUsd };
}
