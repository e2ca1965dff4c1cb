/** The cost model on the fixture price table (test/fixtures/prices.yaml), not on the shipped prices.yaml. */
import { join } from "node:path";
import type { ResolvedConfig } from "../../infra/config/validate.ts";
import { loadPriceTable } from "../../infra/cost/prices.ts";
import { type CostReport, type CostReportOptions, costReport } from "../../infra/cost/report.ts";

export const FIXTURE_PRICES = loadPriceTable(join(import.meta.dirname, "../fixtures/prices.yaml"));

/** costReport billed with the fixture prices. */
export function fixtureCostReport(config: ResolvedConfig, options: CostReportOptions = {}): CostReport {
  return costReport(config, { prices: FIXTURE_PRICES, ...options });
}
