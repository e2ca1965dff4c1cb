// Platform totals, added up row by row as rows stream past. Pure.
import type { TotalKind } from "./reports.ts";

export type Totals = Record<string, number | string | null>;

function isNumber(v: unknown): v is number | bigint {
  return typeof v === "number" || typeof v === "bigint";
}

export class TotalsAccumulator {
  private readonly sums = new Map<string, number | string | null>();
  /** Columns summed without a spec stop counting once a non-number shows up. */
  private readonly dropped = new Set<string>();
  private rows = 0;
  private creators = 0;

  /** `spec` gives each column's kind; without one, every all-numeric column is summed. */
  constructor(private readonly spec?: Record<string, TotalKind>) {}

  /** One creator answered (with or without rows). */
  answered(): void {
    this.creators++;
  }

  add(columns: readonly string[], values: readonly unknown[]): void {
    this.rows++;
    columns.forEach((col, i) => {
      const v = values[i];
      const kind = this.spec ? this.spec[col] : "sum";
      if (kind === undefined || this.dropped.has(col) || v === null || v === undefined) return;
      const cur = this.sums.get(col) ?? null;
      if (kind === "max") {
        if (cur === null || (v as number | string) > cur) this.sums.set(col, v as number | string);
      } else if (isNumber(v)) {
        this.sums.set(col, ((cur as number | null) ?? 0) + Number(v));
      } else if (!this.spec) {
        this.dropped.add(col);
        this.sums.delete(col);
      }
    });
  }

  /** `creators`: those that answered; `rows`: rows seen; then one entry per totalled column. */
  result(): Totals {
    const out: Totals = { creators: this.creators, rows: this.rows };
    for (const col of Object.keys(this.spec ?? {})) out[col] = this.spec?.[col] === "sum" ? 0 : null;
    for (const [col, v] of this.sums) out[col] = v;
    return out;
  }
}
