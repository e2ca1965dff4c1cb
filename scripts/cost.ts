/**
 * npm run cost -- --stack <name> | --config <file> [--json | --format table|markdown] [--base <file or git ref>] [--as-of <date>]
 *
 * The cost model's report for one stack: nodes per pool, the monthly bill and
 * its breakdown, cost per creator overall and per plan, and, with --base, the
 * difference against another version of the stack file (a pull-request comment
 * with --format markdown). Exit codes: 0 report printed (also when the stack
 * exceeds maxMonthlyCostPerCreator: the report says so; the offline plan and
 * `pulumi preview` are what fail), 1 invalid stack or base, 2 bad arguments.
 */
import { calendarDate } from "./cli-options.ts";
import "./closed-pipe.ts";
import { Command, Option } from "commander";
import { exitWithError, usageErrors } from "./cli-output.ts";
import { loadStackFile } from "../infra/config/stack-file.ts";
import { ConfigError, type ResolvedConfig } from "../infra/config/validate.ts";
import { type CostDiff, costDiff } from "../infra/cost/diff.ts";
import { type CostReport, costCeilingViolation, costReport } from "../infra/cost/report.ts";
import { BaseArgumentError, loadBase } from "./cost/base.ts";
import { renderMarkdown } from "./cost/markdown.ts";
import { renderTable } from "./cost/cost-tables.ts";
import { resolveStackFile } from "./stack-option.ts";

interface Options {
  stack?: string;
  config?: string;
  json?: boolean;
  format: "table" | "markdown";
  base?: string;
  asOf?: string;
}

function fail(error: unknown, what: string): never {
  if (!(error instanceof ConfigError)) throw error;
  exitWithError(`${what}: ${error.message}`, 1, { file: error.source, problems: error.problems });
}

function report(config: ResolvedConfig, source: string, asOf: string | undefined, what: string): CostReport {
  try {
    return costReport(config, { source, ...(asOf ? { asOf } : {}) });
  } catch (error) {
    fail(error, what);
  }
}

const program = new Command("cost")
  .description(
    "Cost report of a stack: nodes per pool from bin packing the creators' requests, the monthly bill and its breakdown, " +
      "cost per creator overall and per plan, utilisation, the cheapest node size. With --base, the difference against " +
      "another version of the stack file. Exit 0 with a report (also over maxMonthlyCostPerCreator), 1 invalid stack, 2 bad arguments.",
  )
  .addOption(new Option("-s, --stack <name>", "stack name (reads stacks/Pulumi.<name>.yaml)").conflicts("config"))
  .addOption(new Option("-c, --config <file>", "path to a stack file"))
  .addOption(new Option("--json", "print the report as JSON").conflicts("format"))
  .addOption(new Option("-f, --format <format>", "output format").choices(["table", "markdown"]).default("table"))
  .option("-b, --base <file or git ref>", "compare with another version: a stack file, or a git ref whose copy of this stack file is read")
  .addOption(
    new Option("--as-of <date>", "use the newest prices dated on or before this day (default: the newest)").argParser(calendarDate("--as-of")),
  )
  .showHelpAfterError()
  .action((options: Options) => {
    const path = resolveStackFile(program, options);
    let stack: string;
    let config: ResolvedConfig;
    try {
      ({ stack, config } = loadStackFile(path));
    } catch (error) {
      fail(error, "stack");
    }
    const head = report(config, path, options.asOf, "stack");
    let diff: { diff: CostDiff; label: string } | undefined;
    if (options.base) {
      let base: ReturnType<typeof loadBase>;
      try {
        base = loadBase(options.base, path);
      } catch (error) {
        if (error instanceof BaseArgumentError) program.error(error.message, { exitCode: 2 });
        fail(error, "base");
      }
      const baseVersion = base.config ? { config: base.config, report: report(base.config, base.label, options.asOf, "base") } : undefined;
      diff = { diff: costDiff(baseVersion, { config, report: head }), label: base.config ? base.label : `${base.label} (absent: a new stack)` };
    }
    const ceiling = costCeilingViolation(head, config);
    if (options.json) {
      const json = { stack, ...head, ceilingViolation: ceiling ?? null, ...(diff ? { base: diff.label, diff: diff.diff } : {}) };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else if (options.format === "markdown") {
      process.stdout.write(renderMarkdown(stack, head, ceiling, diff));
    } else {
      process.stdout.write(renderTable(stack, head, ceiling, diff));
    }
  });

usageErrors(program);
try {
  await program.parseAsync();
} catch (error) {
  // Anything unforeseen: its message, never a stack trace.
  exitWithError(`the cost report failed: ${error instanceof Error ? error.message : String(error)}`, 1);
}
