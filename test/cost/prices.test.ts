import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CIVO_NODE_SIZES, LINODE_NODE_TYPES } from "../../infra/config/schema.ts";
import { ConfigError } from "../../infra/config/validate.ts";
import { ProviderPrices, loadPriceTable, parsePriceTable, shippedPriceTable } from "../../infra/cost/prices.ts";
import { FIXTURE_PRICES } from "../support/fixture-prices.ts";

/**
 * The one test of the data in infra/cost/prices.yaml: whatever its figures, a new
 * dated entry must keep it loadable and complete. Everything else in test/cost bills
 * with the frozen fixture table (test/fixtures/prices.yaml).
 */
describe("the shipped price table", () => {
  it("loads, prices every node size and every other item each provider bills, and keeps each item's dates in order", () => {
    const table = shippedPriceTable(); // throws a ConfigError naming each bad entry
    const providers = { civo: CIVO_NODE_SIZES, linode: LINODE_NODE_TYPES } as const;
    for (const [provider, sizes] of Object.entries(providers) as Array<[keyof typeof providers, readonly string[]]>) {
      const prices = new ProviderPrices(table, provider);
      for (const size of sizes) expect(prices.node(size).usdPerMonth, `${provider} ${size}`).toBeGreaterThan(0);
      expect(prices.loadBalancer().usdPerMonth).toBeGreaterThan(0);
      expect(prices.volume().usdPerMonth).toBeGreaterThan(0);
      expect(prices.objectStorage().usdPerMonth).toBeGreaterThan(0);
      expect(prices.controlPlane(false).usdPerMonth).toBeGreaterThanOrEqual(0);
    }
    expect(new ProviderPrices(table, "linode").controlPlane(true).usdPerMonth).toBeGreaterThan(0); // the HA option
    const seen = new Map<string, { date: string; shape: string }>();
    for (const entry of table.entries) {
      expect(new Date(`${entry.date}T00:00:00Z`).toISOString().slice(0, 10), `${entry.item}: a day of the calendar`).toBe(entry.date);
      const key = `${entry.provider} ${entry.item}`;
      const shape = entry.kind === "node" ? `${entry.vcpu} vCPU ${entry.memoryGiB} GiB` : entry.kind;
      const earlier = seen.get(key);
      if (earlier) {
        // A price change is a new entry after the old one, for the same thing sold.
        expect(entry.date > earlier.date, `${key}: ${entry.date} after ${earlier.date}`).toBe(true);
        expect(shape, key).toBe(earlier.shape);
      }
      seen.set(key, { date: entry.date, shape });
    }
  });
});

describe("the price that applies on a date", () => {
  const civo = (asOf?: string) => new ProviderPrices(FIXTURE_PRICES, "civo", asOf);

  it("is the newest entry by default, the newest on or before asOf otherwise, and an older entry for an item not quoted since", () => {
    expect(civo().node("g4s.kube.large")).toMatchObject({ date: "2026-09-01", usdPerMonth: 43.45 });
    expect(civo("2026-09-01").node("g4s.kube.large").date).toBe("2026-09-01");
    expect(civo("2026-08-31").node("g4s.kube.large")).toMatchObject({ date: "2026-03-01", usdPerMonth: 40 });
    expect(civo().node("g4s.kube.xlarge").date).toBe("2026-03-01");
    expect(civo("2026-08-31").loadBalancer().date).toBe("2026-03-01");
  });

  it("does not exist before the first price", () => {
    expect(() => civo("2020-01-01").node("g4s.kube.large")).toThrow(/no node size g4s.kube.large price for civo dated on or before 2020-01-01/);
  });
});

describe("a malformed price table", () => {
  it("is a ConfigError naming each bad entry and field", () => {
    const raw = {
      entries: [
        { provider: "civo", kind: "node", item: "x", vcpu: 1, memoryGiB: 1, usdPerMonth: -1, date: "2026-09-01", source: "somewhere" },
        { provider: "civo", kind: "loadBalancer", item: "lb", usdPerMonth: 10, date: "Sep 2026", source: "somewhere" },
        { provider: "civo", kind: "volume", item: "v", usdPerMonth: 0.1, minGB: 1, stepGB: 1, date: "2026-09-01" },
      ],
    };
    let error: unknown;
    try {
      parsePriceTable(raw, "prices.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["entries[0].usdPerMonth", "entries[1].date", "entries[2].source"]));
  });

  it("rejects two prices for one item on one date, and a YAML syntax error", () => {
    const entry = { provider: "linode", kind: "loadBalancer", item: "nb", usdPerMonth: 10, date: "2026-01-01", source: "a source" };
    expect(() => parsePriceTable({ entries: [entry, entry] }, "t")).toThrow(/entries\[1\]: a second price for nb/);
    const dir = mkdtempSync(join(tmpdir(), "prices-"));
    writeFileSync(join(dir, "bad.yaml"), "entries: [ {provider: civo\n");
    expect(() => loadPriceTable(join(dir, "bad.yaml"))).toThrow(ConfigError);
  });
});
