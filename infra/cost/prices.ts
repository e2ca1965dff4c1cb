/**
 * The dated price table (prices.yaml): its schema, its loader, and the choice of
 * the entry that applies for a date. A malformed table is a ConfigError naming
 * each bad entry, never a silently wrong price.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError, type Problem, formatPath } from "../config/validate.ts";

export const PRICES_FILE = resolve(import.meta.dirname, "prices.yaml");

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD");
const common = {
  provider: z.enum(["civo", "linode"]),
  item: z.string().min(1),
  usdPerMonth: z.number().min(0),
  date: isoDate,
  source: z.string().min(5, "every price needs its source"),
};

export const priceEntrySchema = z.discriminatedUnion("kind", [
  z.strictObject({ ...common, kind: z.literal("node"), vcpu: z.number().positive(), memoryGiB: z.number().positive() }),
  z.strictObject({ ...common, kind: z.literal("loadBalancer") }),
  z.strictObject({ ...common, kind: z.literal("controlPlane"), ha: z.boolean() }),
  z.strictObject({ ...common, kind: z.literal("volume"), minGB: z.number().min(0), stepGB: z.number().positive() }),
  z.strictObject({
    ...common,
    kind: z.literal("objectStorage"),
    includedGB: z.number().positive(),
    extraUsdPerGB: z.number().min(0).optional(),
  }),
]);

/** The regions a provider's prices are quoted for: a stack elsewhere has no known price. */
const regionList = z.strictObject({ codes: z.array(z.string().min(2)).min(1), date: isoDate, source: z.string().min(5, "every region list needs its source") });

export const priceTableSchema = z.strictObject({
  entries: z.array(priceEntrySchema).min(1),
  regions: z.strictObject({ civo: regionList, linode: regionList }).partial().optional(),
});

export type PriceEntry = z.output<typeof priceEntrySchema>;
export type PriceTable = z.output<typeof priceTableSchema>;
export type PricedProvider = PriceEntry["provider"];
export type NodePrice = Extract<PriceEntry, { kind: "node" }>;

/** The region problem of a cluster the table has no prices for (none when the table lists no regions for its provider). */
export function regionProblems(cluster: { provider: string; region?: string }, table: PriceTable): Problem[] {
  const regions = cluster.provider === "civo" || cluster.provider === "linode" ? table.regions?.[cluster.provider] : undefined;
  if (!regions || cluster.region === undefined || regions.codes.includes(cluster.region)) return [];
  return [
    {
      path: "cluster.region",
      message: `"${cluster.region}" is not a ${cluster.provider} region the price table knows (${regions.codes.join(", ")}; ${regions.source}): its prices are unknown. Choose one of those, or add the region to infra/cost/prices.yaml with its source`,
    },
  ];
}

export function parsePriceTable(raw: unknown, source: string): PriceTable {
  const parsed = priceTableSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  const seen = new Set<string>();
  const problems = parsed.data.entries.flatMap((entry, i) => {
    const key = `${entry.provider} ${entry.item} ${entry.date}`;
    if (seen.has(key)) return [{ path: `entries[${i}]`, message: `a second price for ${entry.item} (${entry.provider}) dated ${entry.date}` }];
    seen.add(key);
    return [];
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return parsed.data;
}

export function loadPriceTable(path: string = PRICES_FILE): PriceTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [{ path: "(file)", message: `cannot read the price table: ${(error as Error).message}` }]);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(path, doc.errors.map((e) => ({ path: "(yaml)", message: e.message.split("\n")[0] ?? e.message })));
  }
  return parsePriceTable(doc.toJS(), path);
}

let shipped: PriceTable | undefined;
/** prices.yaml, read once. */
export function shippedPriceTable(): PriceTable {
  shipped ??= loadPriceTable();
  return shipped;
}

/** The entries that apply to one provider: per item, the newest dated on or before `asOf` (default: the newest). */
export class ProviderPrices {
  readonly entries: PriceEntry[];
  /** The entries a report read, in the order it read them: the report lists them with their sources. */
  readonly used = new Map<string, PriceEntry>();

  constructor(table: PriceTable, readonly provider: PricedProvider, readonly asOf?: string) {
    const newest = new Map<string, PriceEntry>();
    for (const entry of table.entries) {
      if (entry.provider !== provider || (asOf !== undefined && entry.date > asOf)) continue;
      const current = newest.get(entry.item);
      if (!current || entry.date > current.date) newest.set(entry.item, entry);
    }
    this.entries = [...newest.values()];
  }

  /** The same prices with an empty log: for a search whose lookups the report should not list. */
  withFreshLog(): ProviderPrices {
    return new ProviderPrices({ entries: this.entries }, this.provider, this.asOf);
  }

  private one<K extends PriceEntry["kind"]>(kind: K, what: string, extra?: (e: Extract<PriceEntry, { kind: K }>) => boolean) {
    const found = this.entries.find(
      (e): e is Extract<PriceEntry, { kind: K }> => e.kind === kind && (extra === undefined || extra(e as Extract<PriceEntry, { kind: K }>)),
    );
    if (!found) {
      const when = this.asOf ? ` dated on or before ${this.asOf}` : "";
      throw new ConfigError("price table", [{ path: `${this.provider}.${kind}`, message: `no ${what} price for ${this.provider}${when}` }]);
    }
    this.used.set(found.item, found);
    return found;
  }

  node(size: string): NodePrice {
    return this.one("node", `node size ${size}`, (e) => e.item === size);
  }
  nodes(): NodePrice[] {
    return this.entries.filter((e): e is NodePrice => e.kind === "node");
  }
  loadBalancer() {
    return this.one("loadBalancer", "load balancer");
  }
  controlPlane(ha: boolean) {
    return this.one("controlPlane", ha ? "HA control plane" : "control plane", (e) => e.ha === ha);
  }
  volume() {
    return this.one("volume", "block volume");
  }
  objectStorage() {
    return this.one("objectStorage", "object storage");
  }
}
