// `ops analytics`: one read-only query across every creator database, the
// creator id as the first column of every row, plus platform totals.
import { Command, Option } from "commander";
import Table from "cli-table3";
import { AttachedQuery } from "./attach-batches.ts";
import { EXIT_FAILED, EXIT_OK, UsageError, addSourceOptions, intOption, progressBar, type SourceOptions } from "./cli-common.ts";
import { resolveCreators } from "./creator-databases.ts";
import { CREATOR_COLUMN, plainValue, type CreatorOutcome } from "./outcome.ts";
import { checkReadOnlySql, type ReadOnlyQuery } from "./read-only-sql.ts";
import { queryEndpoints } from "./remote-query.ts";
import { REPORTS } from "./reports.ts";
import { TotalsAccumulator, type Totals } from "./totals.ts";

export interface AnalyticsOptions extends SourceOptions {
  report?: string;
  sql?: string;
  json?: boolean;
  concurrency: number;
  busyTimeout: number;
  batchSize?: number;
}

export interface AnalyticsSummary {
  totals: Totals;
  failed: Array<{ creator: string; error: string }>;
}

const PLAIN = { head: [], border: [] };

/** Writes rows as they come: JSON ({"rows": [...], "totals", "failed"}) or tab-separated lines. */
class RowWriter {
  private count = 0;
  private header = false;
  constructor(private readonly out: NodeJS.WritableStream, private readonly json: boolean) {
    if (json) out.write('{"rows": [');
  }
  row(creator: string, columns: readonly string[], values: readonly unknown[]): void {
    if (this.json) {
      const obj: Record<string, unknown> = { [CREATOR_COLUMN]: creator };
      columns.forEach((c, i) => (obj[c] = plainValue(values[i])));
      this.out.write(`${this.count === 0 ? "\n" : ",\n"}  ${JSON.stringify(obj)}`);
    } else {
      if (!this.header) this.out.write(`${[CREATOR_COLUMN, ...columns].join("\t")}\n`);
      this.header = true;
      this.out.write(`${[creator, ...values.map((v) => String(plainValue(v) ?? ""))].join("\t")}\n`);
    }
    this.count++;
  }
  end(summary: AnalyticsSummary): void {
    if (this.json) {
      this.out.write(`${this.count > 0 ? "\n" : ""}],\n"totals": ${JSON.stringify(summary.totals)},\n"failed": ${JSON.stringify(summary.failed)}}\n`);
      return;
    }
    const totals = new Table({ head: ["total", "value"], style: PLAIN });
    for (const [k, v] of Object.entries(summary.totals)) totals.push([k, String(v ?? "")]);
    this.out.write(`\nPlatform totals\n${totals.toString()}\n`);
    if (summary.failed.length > 0) {
      const failed = new Table({ head: ["failed creator", "reason"], colWidths: [24, 80], wordWrap: true, style: PLAIN });
      for (const f of summary.failed) failed.push([f.creator, f.error]);
      this.out.write(`\n${failed.toString()}\n`);
    }
  }
}

/** The query to run: a built-in report or checked custom SQL. Throws UsageError / RefusedSqlError. */
export function chooseQuery(o: Pick<AnalyticsOptions, "report" | "sql">): { query: ReadOnlyQuery; totals: TotalsAccumulator } {
  if (o.report !== undefined && o.sql !== undefined) throw new UsageError("give --report or --sql, not both");
  if (o.sql !== undefined) return { query: checkReadOnlySql(o.sql), totals: new TotalsAccumulator() };
  const name = o.report ?? "overview";
  const report = REPORTS[name];
  if (!report) throw new UsageError(`--report: unknown report "${name}"; one of ${Object.keys(REPORTS).join(", ")}`);
  return { query: checkReadOnlySql(report.sql), totals: new TotalsAccumulator(report.totals) };
}

/** Runs the analytics; returns the exit code. */
export async function runAnalytics(o: AnalyticsOptions, out: NodeJS.WritableStream): Promise<number> {
  const { query, totals } = chooseQuery(o);
  const source = resolveCreators(o);
  const writer = new RowWriter(out, o.json === true);
  const failed: AnalyticsSummary["failed"] = [];
  const bar = progressBar(source.creators.length, "analytics", o.json === true);
  const take = (r: CreatorOutcome): void => {
    bar.tick();
    if (!r.ok) {
      failed.push({ creator: r.creator, error: r.error });
      return;
    }
    totals.answered();
    for (const values of r.rows) {
      totals.add(r.columns, values);
      writer.row(r.creator, r.columns, values);
    }
  };
  try {
    if (source.kind === "files") {
      const engine = new AttachedQuery(query, { busyTimeoutMs: o.busyTimeout, ...(o.batchSize ? { batchSize: o.batchSize } : {}) });
      try {
        for (const r of engine.run(source.creators)) take(r);
      } finally {
        engine.close();
      }
    } else {
      for await (const r of queryEndpoints(source.creators, query, o.concurrency)) take(r);
    }
  } finally {
    bar.stop();
  }
  const result = totals.result();
  writer.end({ totals: { ...result, failed: failed.length }, failed });
  return failed.length > 0 ? EXIT_FAILED : EXIT_OK;
}

export function analyticsCommand(): Command {
  const reports = Object.entries(REPORTS).map(([k, r]) => `  ${k.padEnd(9)} ${r.description}`).join("\n");
  const cmd = new Command("analytics")
    .description(
      "Run one read-only query across every creator database: the creator id is the first column of every row, " +
        "followed by platform totals. Database files are opened read-only and ATTACHed in batches on one connection; " +
        "sqld endpoints are queried concurrently (--concurrency).",
    )
    .addOption(new Option("--report <name>", "a built-in report (default: overview)").choices(Object.keys(REPORTS)))
    .option("--sql <query>", "custom SQL written against one creator database's tables, as if it were the only one; SELECT only")
    .option("--json", 'print {"rows": [{"creator": …}], "totals": {…}, "failed": [{"creator", "error"}]}')
    .addOption(intOption("--concurrency <n>", "sqld endpoints queried at once", 8))
    .addOption(intOption("--busy-timeout <ms>", "how long to wait for a locked database file before reporting it", 2000, 0))
    .addOption(intOption("--batch-size <n>", "database files attached at once (capped by SQLite's limit)", 10).hideHelp());
  addSourceOptions(cmd);
  cmd.action(async (o: AnalyticsOptions) => {
    process.exitCode = await runAnalytics(o, process.stdout);
  });
  cmd.addHelpText(
    "after",
    `\nReports:\n${reports}\n\nCustom SQL totals: row count, creators, and the sum of every all-numeric column.\n` +
      "Refused before anything runs: anything but one SELECT / WITH … SELECT / VALUES statement (writes, DDL, PRAGMA, ATTACH, several statements).\n" +
      "Exit codes: 0 all creators answered, 1 some creator failed (listed under failed), 2 bad arguments or refused SQL.\n\n" +
      "Examples:\n  npm run ops -- analytics --dir ./dbs --report members --json\n" +
      "  npm run ops -- analytics --stack prod --url-template 'http://{id}-db.creators:8080' --token-env SQLD_TOKEN --sql \"SELECT count(*) AS tags FROM tags\"",
  );
  return cmd;
}
