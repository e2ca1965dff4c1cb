/**
 * What a node of each provider offers to pods: allocatable CPU and memory (the
 * provider's reservation formula), pods per node, block volumes per node, and
 * what kube-system itself requests. Sources are in the comments below; the
 * estimates say so in the report.
 */
import { CIVO_NODE_SIZES, LINODE_NODE_TYPES } from "../config/schema.ts";
import type { PricedProvider } from "./prices.ts";

export interface NodeShape {
  vcpu: number;
  memoryGiB: number;
}

/** Requests, or capacity, in the units the model packs: millicores, MiB, pods, attached volumes. */
export interface Resources {
  cpuMillis: number;
  memoryMiB: number;
  pods: number;
  volumes: number;
}

export const ZERO: Resources = { cpuMillis: 0, memoryMiB: 0, pods: 0, volumes: 0 };

export const add = (a: Resources, b: Resources, times = 1): Resources => ({
  cpuMillis: a.cpuMillis + b.cpuMillis * times,
  memoryMiB: a.memoryMiB + b.memoryMiB * times,
  pods: a.pods + b.pods * times,
  volumes: a.volumes + b.volumes * times,
});

/** A system workload: `perNode` ones are DaemonSets (one pod on every node), the others run once per cluster. */
export interface SystemWorkload {
  name: string;
  cpuMillis: number;
  memoryMiB: number;
  pods: number;
  perNode: boolean;
}

export interface ProviderModel {
  provider: PricedProvider;
  /** Node sizes the stack schema accepts for this provider. */
  sizes: readonly string[];
  /** Allocatable CPU (millicores) and memory (MiB) of one node. */
  allocatable(shape: NodeShape): { cpuMillis: number; memoryMiB: number };
  /** True when the provider does not document its reservations and the figure is an estimate. */
  allocatableIsEstimate: boolean;
  /** kubelet's max pods per node (system pods included). */
  maxPods: number;
  /** Block volumes one node can attach. */
  volumeAttachLimit(shape: NodeShape): number;
  /** kube-system as the provider ships it, before the platform's add-ons. */
  kubeSystem: SystemWorkload[];
  kubeSystemIsEstimate: boolean;
}

/** Tiered reservation: `rate` of each band of `width` units, in order; the last band has no end. */
function tiered(amount: number, bands: ReadonlyArray<readonly [width: number, rate: number]>): number {
  let reserved = 0;
  let left = amount;
  for (const [width, rate] of bands) {
    const inBand = Math.min(left, width);
    reserved += inBand * rate;
    left -= inBand;
    if (left <= 0) break;
  }
  return reserved;
}

/**
 * civo.com/docs/kubernetes/managing-node-pools: memory 25 % of the first 4 GiB, 20 % of the
 * next 4, 10 % of the next 8, 6 % of the next 112, 2 % above, plus 100 MiB eviction and 200 MiB
 * system; CPU 6 % of core 1, 1 % of core 2, 0.5 % of cores 3-4, 0.25 % above. Nodes of 2 GiB or
 * less use fixed reservations, leaving about 487 MiB (1 GiB) and 1,336 MiB (2 GiB).
 */
const MEMORY_BANDS = [[4096, 0.25], [4096, 0.2], [8192, 0.1], [114688, 0.06], [Infinity, 0.02]] as const;
const CPU_BANDS = [[1000, 0.06], [1000, 0.01], [2000, 0.005], [Infinity, 0.0025]] as const;
const CIVO_SMALL_NODE_MIB: Record<number, number> = { 1: 487, 2: 1336 };

function formulaAllocatable(shape: NodeShape): { cpuMillis: number; memoryMiB: number } {
  const cpu = shape.vcpu * 1000;
  const memory = shape.memoryGiB * 1024;
  return {
    cpuMillis: Math.floor(cpu - tiered(cpu, CPU_BANDS)),
    memoryMiB: Math.floor(memory - tiered(memory, MEMORY_BANDS) - 100 - 200),
  };
}

export const MAX_PODS = 110;

const civo: ProviderModel = {
  provider: "civo",
  sizes: CIVO_NODE_SIZES,
  allocatable(shape) {
    const formula = formulaAllocatable(shape);
    const small = CIVO_SMALL_NODE_MIB[shape.memoryGiB];
    return small === undefined ? formula : { ...formula, memoryMiB: small };
  },
  allocatableIsEstimate: false,
  maxPods: MAX_PODS,
  // Civo's CSI driver reports 1,024 attachable volumes per node.
  volumeAttachLimit: () => 1024,
  // k3s's CoreDNS manifest requests 100m / 70Mi; Traefik and metrics-server are counted as
  // add-ons. The CSI node plugin runs on every node without requests (estimate).
  kubeSystem: [
    { name: "coredns", cpuMillis: 100, memoryMiB: 70, pods: 1, perNode: false },
    { name: "civo-csi-node", cpuMillis: 0, memoryMiB: 0, pods: 1, perNode: true },
  ],
  kubeSystemIsEstimate: true,
};

/** Linode's boot and swap disks count against the node's attachment slots. */
const LINODE_NODE_DISKS = 2;

const linode: ProviderModel = {
  provider: "linode",
  sizes: LINODE_NODE_TYPES,
  // LKE does not document its reservations: Civo's formula (the GKE-style tiers) stands in.
  allocatable: formulaAllocatable,
  allocatableIsEstimate: true,
  maxPods: MAX_PODS,
  // linode-blockstorage-csi-driver: max(8, RAM in GiB) capped at 64, minus the node's own disks.
  volumeAttachLimit: (shape) => Math.min(64, Math.max(8, Math.floor(shape.memoryGiB))) - LINODE_NODE_DISKS,
  // Upstream manifests as LKE deploys them (estimates): calico-node requests 250m on every node;
  // kube-proxy and csi-linode-node run on every node without requests; two CoreDNS replicas.
  kubeSystem: [
    { name: "calico-node", cpuMillis: 250, memoryMiB: 0, pods: 1, perNode: true },
    { name: "kube-proxy", cpuMillis: 0, memoryMiB: 0, pods: 1, perNode: true },
    { name: "csi-linode-node", cpuMillis: 0, memoryMiB: 0, pods: 1, perNode: true },
    { name: "coredns", cpuMillis: 200, memoryMiB: 140, pods: 2, perNode: false },
    { name: "calico-kube-controllers", cpuMillis: 0, memoryMiB: 0, pods: 1, perNode: false },
    { name: "csi-linode-controller", cpuMillis: 0, memoryMiB: 0, pods: 1, perNode: false },
  ],
  kubeSystemIsEstimate: true,
};

export const PROVIDERS: Record<PricedProvider, ProviderModel> = { civo, linode };
