/**
 * npm run plan -- --stack <name> | --config <file> [--out <dir>] [--json]
 *
 * Runs the real Pulumi program under Pulumi's mock runtime: no CLI, no
 * credentials, no network. Prints what would be created; `--out` writes every
 * Kubernetes object as YAML (one file per creator namespace, one for the platform).
 */
import "./closed-pipe.ts";
import { Command, Option } from "commander";
import { writableDirectory } from "./cli-options.ts";
import { loadStackFile } from "../infra/config/stack-file.ts";
import { type PlanResult, refusalMessage, runPlan } from "../infra/offline/offline-plan.ts";
import { printPlan, writeManifests } from "./plan/output.ts";
import { resolveStackFile } from "./stack-option.ts";
import { withProgress } from "./progress.ts";

const program = new Command("plan")
  .description("Offline plan: run the Pulumi program under the mock runtime and show what it would create.")
  .addOption(new Option("-s, --stack <name>", "stack name (reads stacks/Pulumi.<name>.yaml)").conflicts("config"))
  .addOption(new Option("-c, --config <file>", "path to a stack file"))
  .addOption(new Option("-o, --out <dir>", "write every Kubernetes object as YAML into this directory").argParser(writableDirectory("--out")))
  .option("--json", "print the plan as JSON")
  .showHelpAfterError()
  // Every argument error (unknown option, bad value, missing stack) exits 2; --help exits 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(async (options: { stack?: string; config?: string; out?: string; json?: boolean }) => {
    const stackFile = resolveStackFile(program, options);
    let plan: PlanResult;
    try {
      const sites = loadStackFile(stackFile).config.creators.filter((c) => c.state !== "retired").length;
      plan = await withProgress("planning", sites, !options.json, (tick) => runPlan(stackFile, { onCreatorRegistered: tick }));
    } catch (error) {
      const refusal = refusalMessage(error) ?? `the plan failed: ${error instanceof Error ? error.message : String(error)}`;
      process.stderr.write(`${refusal}\nNothing was planned or written.\n`);
      process.exit(1);
    }
    if (plan.violations.length > 0) {
      process.stderr.write(`The plan breaks the platform's guardrails:\n${plan.violations.map((v) => `  - ${v}`).join("\n")}\nNothing was written.\n`);
      process.exit(1);
    }
    const written = options.out ? await writeManifests(plan, options.out) : [];
    if (options.json) {
      const { stack, creators, resources, outputs } = plan;
      const { notCovered, violations } = plan;
      process.stdout.write(`${JSON.stringify({ stack, creators, resources, outputs, notCovered, violations, written }, null, 2)}\n`);
    } else {
      printPlan(plan, written);
    }
  });

await program.parseAsync();
