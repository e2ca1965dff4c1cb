/** The cost model: pure functions from a validated stack configuration to a cost report (no Pulumi imports). */
export { type CheaperSize, type CostReport, type CostReportOptions, type NodePoolReport, type PlanReport, costCeilingViolation, costReport } from "./report.ts";
export { CapacityError } from "./sizing.ts";
export { type PriceTable, loadPriceTable, parsePriceTable, shippedPriceTable } from "./prices.ts";
export { SHARD_THRESHOLD, shardingWarning } from "./warnings.ts";
