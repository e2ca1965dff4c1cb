/**
 * npm run plan -- --stack <name> | --config <file> [--base <file or git ref>] [--out <dir>] [--json | --format table|markdown] [--all]
 *
 * Runs the real Pulumi program under Pulumi's mock runtime: no CLI, no
 * credentials, no network. Prints what would be created; `--out` writes every
 * Kubernetes object as YAML (one file per creator namespace, one for the platform).
 * `--base` adds what the change does, object by object, against another
 * version of the stack file (`--format markdown`: a pull-request comment).
 *
 * Exit codes: 0 planned, 1 the stack (or the base) is invalid or refused, 2 bad
 * arguments. Under --json stdout holds exactly one JSON document, an error
 * included (`{"error": {"message", "exitCode"}}`); messages go to stderr.
 */
import "./closed-pipe.ts";
import { Command, Option } from "commander";
import { exitWithError, shellQuoted, usageErrors } from "./cli-output.ts";
import { writableDirectory } from "./cli-options.ts";
import { loadStackFile } from "../infra/config/stack-file.ts";
import { ConfigError, type ResolvedConfig } from "../infra/config/validate.ts";
import { type PlanResult, refusalMessage, runPlan } from "../infra/offline/offline-plan.ts";
import { BaseArgumentError, type BaseStackFile, baseStackFile } from "./base-ref.ts";
import { type DiffContext, renderDiff, renderDiffMarkdown } from "./plan/diff-output.ts";
import { type ObjectDiff, diffJson, diffSummary, objectDiff } from "./plan/object-diff.ts";
import { printPlan, stackArgs, writeManifests } from "./plan/output.ts";
import { BasePlanError, type PlannedVersion, planInChild, plannedObjects } from "./plan/planned-objects.ts";
import { resolveStackFile } from "./stack-option.ts";
import { withProgress } from "./progress.ts";

interface Options {
  stack?: string;
  config?: string;
  out?: string;
  json?: boolean;
  format: "table" | "markdown";
  base?: string;
  all?: boolean;
}


const sites = (config: ResolvedConfig): number => config.creators.filter((c) => c.state !== "retired").length;

/** The stack file validated; a base's problems are reported against its label (`<ref>:<path>`), not its temporary copy. */
function loadConfig(file: string, baseLabel?: string): ResolvedConfig {
  try {
    return loadStackFile(file).config;
  } catch (error) {
    const message = error instanceof ConfigError && baseLabel ? `base: ${new ConfigError(baseLabel, error.problems).message}` : (refusalMessage(error) ?? String(error));
    exitWithError(`${message}\nNothing was planned or written.`, 1);
  }
}

/** The head planned here, the base (if any) at the same time in a child process. */
async function plan(stackFile: string, config: ResolvedConfig, base: BaseStackFile | undefined, progress: boolean): Promise<{ head: PlanResult; base?: PlannedVersion }> {
  const total = sites(config) + (base?.file ? sites(loadConfig(base.file, base.label)) : 0);
  return withProgress("planning", total, progress, async (tick) => {
    const child = base?.file ? planInChild(base.file, tick) : undefined;
    child?.done.catch(() => {});
    try {
      const head = await runPlan(stackFile, { onCreatorRegistered: tick });
      return { head, base: child ? await child.done : base ? { perCreator: {}, objects: [] } : undefined };
    } finally {
      child?.cancel();
    }
  });
}

const program = new Command("plan")
  .description(
    "Offline plan: run the Pulumi program under the mock runtime and show what it would create. With --base, what the change " +
      "does against another version of the stack file, object by object (create, update with the changed fields, delete; " +
      "a retired creator's namespace and volume are retained). Only the stack file comes from the base: the program as " +
      "checked out plans both versions, so a change to the code itself shows in neither. Exit 0 planned, 1 invalid or refused stack, 2 bad arguments.",
  )
  .addOption(new Option("-s, --stack <name>", "stack name (reads stacks/Pulumi.<name>.yaml)").conflicts("config"))
  .addOption(new Option("-c, --config <file>", "path to a stack file"))
  .option("-b, --base <file or git ref>", "compare with another version of the stack file: a file, or a git ref whose copy of it is read (absent: everything is created)")
  .addOption(new Option("-o, --out <dir>", "write every Kubernetes object as YAML into this directory").argParser(writableDirectory("--out")))
  .addOption(new Option("--json", "print the plan (and with --base the diff) as one JSON document").conflicts("format"))
  .addOption(new Option("-f, --format <format>", "output format; markdown is the --base diff as a pull-request comment").choices(["table", "markdown"]).default("table"))
  .option("--all", "list every creator and every changed object, however many")
  .showHelpAfterError()
  .action(async (options: Options) => {
    const stackFile = resolveStackFile(program, options);
    if (options.format === "markdown" && !options.base) program.error("--format markdown shows the difference: give --base <file or git ref>", { exitCode: 2 });
    let base: BaseStackFile | undefined;
    try {
      base = options.base ? baseStackFile(options.base, stackFile) : undefined;
    } catch (error) {
      if (error instanceof BaseArgumentError) program.error(error.message, { exitCode: 2 });
      exitWithError(`--base: ${String(error)}`, 1);
    }
    process.on("exit", () => base?.remove());
    const config = loadConfig(stackFile);

    let planned: Awaited<ReturnType<typeof plan>>;
    try {
      planned = await plan(stackFile, config, base, !options.json);
    } catch (error) {
      const what = error instanceof BasePlanError ? `base: ${base?.label ?? ""}: ` : "";
      const refusal = refusalMessage(error) ?? (error instanceof Error ? error.message : String(error));
      exitWithError(`${what}${refusal}\nNothing was planned or written.`, 1);
    }
    const { head } = planned;
    if (head.violations.length > 0) {
      const message = `The plan breaks the platform's guardrails:\n${head.violations.map((v) => `  - ${v}`).join("\n")}\nNothing was written.`;
      exitWithError(message, 1, { violations: head.violations });
    }
    let diff: ObjectDiff | undefined;
    let context: DiffContext | undefined;
    if (planned.base && base) {
      diff = objectDiff(planned.base.objects, (await plannedObjects(head)).objects);
      const states = Object.fromEntries(config.creators.map((c) => [c.id, c.state]));
      context = { label: base.file ? base.label : `${base.label} (absent there: a new stack)`, base: planned.base.perCreator, head: head.perCreator, states };
    }
    const written = options.out ? await writeManifests(head, options.out) : [];
    const which = stackArgs(options, head);
    if (options.json) {
      const { stack, creators, resources, outputs, notCovered, violations } = head;
      const compared = diff && base ? { base: base.label, summary: diffSummary(diff), diff: diffJson(diff) } : {};
      process.stdout.write(`${JSON.stringify({ stack, creators, resources, outputs, notCovered, violations, written, ...compared }, null, 2)}\n`);
    } else if (options.format === "markdown" && diff && context) {
      process.stdout.write(renderDiffMarkdown(head.stack, diff, context, `npm run plan -- ${which} --base ${shellQuoted(options.base ?? "")} --all`));
    } else {
      printPlan(head, written, { all: options.all, costArgs: which });
      if (diff && context) process.stdout.write(`\n${renderDiff(diff, context, options.all)}`);
    }
  });

usageErrors(program);
try {
  await program.parseAsync();
} catch (error) {
  // Anything unforeseen: its message, never a stack trace.
  exitWithError(`the plan failed: ${error instanceof Error ? error.message : String(error)}`, 1);
}
