/**
 * The cheapest node size for the whole stack: every size the provider sells,
 * as one pool sized by the packing. Sizes too small for the largest pod are
 * skipped. Only node cost differs between candidates.
 */
import { ConfigError } from "../config/validate.ts";
import { type PricedPools, type Scenario, sizeAndPrice } from "./scenario.ts";

export interface SizeCandidate {
  size: string;
  count: number;
  nodesUsd: number;
  /** The date of the node price used. */
  priceDate: string;
}

export function sizeCandidates(s: Scenario): SizeCandidate[] {
  const candidates: SizeCandidate[] = [];
  for (const price of s.prices.nodes()) {
    if (!s.model.sizes.includes(price.item)) continue;
    let priced: PricedPools;
    try {
      priced = sizeAndPrice(s, [{ name: "candidate", size: price.item, shape: { vcpu: price.vcpu, memoryGiB: price.memoryGiB } }]);
    } catch (error) {
      if (error instanceof ConfigError) continue; // a pod larger than this size
      throw error;
    }
    candidates.push({ size: price.item, count: priced.pools[0]!.count, nodesUsd: priced.nodesUsd, priceDate: price.date });
  }
  return candidates.sort((a, b) => a.nodesUsd - b.nodesUsd || a.count - b.count);
}
