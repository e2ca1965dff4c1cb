/** How the provider bills storage: block volumes per GB with a minimum and a step, object storage per unit. */
import type { ProviderPrices } from "./prices.ts";

/** The GB billed for one volume of `requestedGiB`. */
export function billedVolumeGB(requestedGiB: number, minGB: number, stepGB: number): number {
  return Math.max(minGB, Math.ceil(requestedGiB / stepGB - 1e-9) * stepGB);
}

export function volumeUsd(prices: ProviderPrices, requestedGiB: number): number {
  const v = prices.volume();
  return billedVolumeGB(requestedGiB, v.minGB, v.stepGB) * v.usdPerMonth;
}

/** Object storage holding `gb`: whole units (Civo) or one unit plus a price per extra GB (Linode). */
export function objectStorageUsd(prices: ProviderPrices, gb: number): number {
  const o = prices.objectStorage();
  if (o.extraUsdPerGB !== undefined) return o.usdPerMonth + Math.max(0, gb - o.includedGB) * o.extraUsdPerGB;
  return Math.max(1, Math.ceil(gb / o.includedGB)) * o.usdPerMonth;
}

export const round = (usd: number, places = 2): number => {
  const f = 10 ** places;
  return Math.round((usd + Number.EPSILON) * f) / f;
};
