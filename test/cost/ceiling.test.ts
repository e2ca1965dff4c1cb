import { describe, expect, it } from "vitest";
import { alwaysAwake, costCeilingViolation } from "../../infra/cost/report.ts";
import { generateResolvedConfig } from "../../scripts/fixtures/stacks.ts";

/** The stacks here keep every creator awake (their plans without sleepAfter): sleeping is test/cost/sleeping.test.ts. */
const awakeConfig = (...args: Parameters<typeof generateResolvedConfig>) => alwaysAwake(generateResolvedConfig(...args));
import { fixtureCostReport } from "../support/fixture-prices.ts";

describe("maxMonthlyCostPerCreator", () => {
  it("passes a stack under the limit and names the limit and the figure of one over it", () => {
    const base = { provider: "civo" as const, creators: 10 };
    const report = fixtureCostReport(awakeConfig(base)); // $6.19 per creator (see report.test.ts)
    expect(costCeilingViolation(report, awakeConfig({ ...base, maxMonthlyCostPerCreator: 7 }))).toBeUndefined();
    expect(costCeilingViolation(report, awakeConfig(base))).toBeUndefined();
    const message = costCeilingViolation(report, awakeConfig({ ...base, maxMonthlyCostPerCreator: 5 }));
    expect(message).toMatch(/^maxMonthlyCostPerCreator is \$5.00 but this stack costs \$6.19 per creator per month \(\$61.94 for 10 creators: nodes \$43.45/);
    expect(message).toMatch(/3 × g4s.kube.small nodes would bring it to \$5.11/);
  });
});
