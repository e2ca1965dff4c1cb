import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CIVO_NODE_SIZES, LINODE_NODE_TYPES } from "../../infra/config/schema.ts";
import { ConfigError } from "../../infra/config/validate.ts";
import { ProviderPrices, loadPriceTable, parsePriceTable, shippedPriceTable } from "../../infra/cost/prices.ts";

describe("the shipped price table", () => {
  const table = shippedPriceTable();

  it("prices every node size the stack schema accepts, with a source and a date on every entry", () => {
    for (const size of CIVO_NODE_SIZES) expect(new ProviderPrices(table, "civo").node(size).usdPerMonth).toBeGreaterThan(0);
    for (const type of LINODE_NODE_TYPES) expect(new ProviderPrices(table, "linode").node(type).usdPerMonth).toBeGreaterThan(0);
    for (const entry of table.entries) {
      expect(entry.source.length).toBeGreaterThan(10);
      expect(entry.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("records both Civo levels: the September 2026 quotation is 8.6 % above the earlier one", () => {
    const old = new ProviderPrices(table, "civo", "2026-08-31");
    const current = new ProviderPrices(table, "civo");
    for (const size of ["g4s.kube.xsmall", "g4s.kube.small", "g4s.kube.medium", "g4s.kube.large"]) {
      expect(current.node(size).date).toBe("2026-09-01");
      expect(old.node(size).date).toBe("2026-03-01");
      expect(current.node(size).usdPerMonth).toBeCloseTo(old.node(size).usdPerMonth * 1.086, 1);
    }
    // Not quoted in September: the newest entry is still the earlier one.
    expect(current.node("g4s.kube.xlarge").date).toBe("2026-03-01");
  });

  it("has LKE's 10 GB volume minimum, Civo's 1 GB steps and the HA control plane", () => {
    expect(new ProviderPrices(table, "linode").volume()).toMatchObject({ minGB: 10, usdPerMonth: 0.1 });
    expect(new ProviderPrices(table, "civo").volume()).toMatchObject({ minGB: 1, stepGB: 1 });
    expect(new ProviderPrices(table, "linode").controlPlane(true).usdPerMonth).toBe(60);
    expect(new ProviderPrices(table, "linode").controlPlane(false).usdPerMonth).toBe(0);
  });

  it("refuses a date before any price", () => {
    expect(() => new ProviderPrices(table, "civo", "2020-01-01").node("g4s.kube.large")).toThrow(/no node size g4s.kube.large price for civo dated on or before 2020-01-01/);
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
