/**
 * npm run creators -- add <id> --plan <plan> [--domain <d>]… | suspend <id> | resume <id> | retire <id> | list
 *                     (--stack <name> | --config <file>) [--json]
 *
 * Edits a stack file's creators list in place, keeping its comments, order and
 * formatting (scripts/creators/edit.ts), and writes it only when the stack as it
 * would be passes what the offline plan checks: schema, capacity, cost ceiling
 * (scripts/creators/check.ts). Exit codes: 0 done (or nothing to do), 1 the
 * change is refused (the report is printed; the file is byte for byte as it
 * was), 2 bad arguments. With --json, stdout is exactly one JSON document,
 * errors included ({"error": {…}}); otherwise messages go to stderr. No
 * subcommand deletes a creator or its data.
 */
import "./closed-pipe.ts";
import { Command, CommanderError, Option } from "commander";
import { jsonRequested, printJson, reportError } from "./cli-output.ts";
import { ConfigError } from "../infra/config/validate.ts";
import { type Change, type ChangeResult, STATE_OF, type StateAction, UnknownCreatorError, changeStack } from "./creators/change.ts";
import { listCreators, renderList } from "./creators/list.ts";
import { usd } from "./cost/format.ts";
import { resolveStackFile } from "./stack-option.ts";

interface StackOptions {
  stack?: string;
  config?: string;
}

const SUBCOMMANDS = ["add", "suspend", "resume", "retire", "list"];
const KEEPS_DATA =
  "No subcommand deletes a creator or its data: retire keeps the entry (state retired) and the namespace and volume. " +
  "Purging a retired creator's data is a runbook (docs/runbooks/purge-a-retired-creator.md: a final backup, then the explicit delete).";

const json = jsonRequested();
const print = printJson;

const program = new Command("creators")
  .description(`Add a creator to a stack file, suspend, resume or retire one, or list them. ${KEEPS_DATA}`)
  .addHelpText(
    "after",
    "\nEvery change is written only if the stack as it would be passes the plan's checks (schema, capacity, cost ceiling).\n" +
      "Exit codes: 0 done, 1 refused (the report is printed, the file is unchanged), 2 bad arguments.",
  )
  .option("--json", "answer with one JSON document, errors included (also taken after a subcommand)")
  // Every commander error is thrown to the handler at the end (exit 2); commander says why on stderr.
  .exitOverride()
  .showHelpAfterError();

function stackCommand(name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addOption(new Option("-s, --stack <name>", "stack name (reads stacks/Pulumi.<name>.yaml)").conflicts("config"))
    .addOption(new Option("-c, --config <file>", "path to a stack file"))
    .option("--json", "print the result (or the error) as one JSON document");
}

function reportChange(result: ChangeResult): void {
  if (json) {
    print(result);
    return;
  }
  const { creator, cost } = result;
  const ceiling = cost.maxMonthlyCostPerCreator === null ? "" : ` (ceiling ${usd(cost.maxMonthlyCostPerCreator)})`;
  const what =
    result.action === "add"
      ? `added ${creator.id} (plan ${creator.plan}${creator.domains.length > 0 ? `, ${creator.domains.join(", ")}` : ""})`
      : result.changed
        ? `${creator.id}: ${result.from} -> ${creator.state}`
        : `${creator.id} is already ${creator.state}: nothing to change`;
  process.stdout.write(
    `Stack ${result.stack}: ${what}.\n` +
      `The stack ${result.changed ? "now costs" : "costs"} ${usd(cost.monthlyTotalUsd)} a month, ${usd(cost.perCreatorUsd)} per creator${ceiling}.\n` +
      (result.changed ? `Written: ${result.file} (review with git diff; npm run plan -- --stack ${result.stack} shows what it creates).\n` : ""),
  );
}

function change(command: Command, options: StackOptions, what: Change): void {
  reportChange(changeStack(resolveStackFile(command, options), what));
}

stackCommand("add", "Add a creator at the end of the stack's creators list (state active).")
  .argument("<id>", "the creator id: permanent, it names the namespace creator-<id>")
  .requiredOption("-p, --plan <plan>", "the creator's plan (a built-in plan or one of the stack's plans)")
  .option("-d, --domain <domain>", "a custom domain besides <id>.<platform domain> (repeat for more)", (d: string, all: string[]) => [...all, d], [])
  .action((id: string, options: StackOptions & { plan: string; domain: string[] }, command: Command) =>
    change(command, options, { action: "add", creator: { id, plan: options.plan, domains: options.domain } }),
  );

const STATE_HELP: Record<StateAction, string> = {
  suspend: "Suspend a creator: its site scales to zero, its data is kept.",
  resume: "Resume a suspended or retired creator: its site serves again (state active).",
  retire: `Retire a creator: its workload goes, its entry stays (state retired). ${KEEPS_DATA}`,
};
for (const action of Object.keys(STATE_OF) as StateAction[]) {
  stackCommand(action, STATE_HELP[action])
    .argument("<id>", "the creator id")
    .action((id: string, options: StackOptions, command: Command) => change(command, options, { action, id }));
}

stackCommand("list", "List the stack's creators: id, plan, state, domains and monthly cost share.").action((options: StackOptions, command: Command) => {
  const { list, cost } = listCreators(resolveStackFile(command, options));
  if (json) print(list);
  else process.stdout.write(renderList(list, cost));
});

/** The exit code for what stopped the command, said on stderr, or as {"error": …} on stdout under --json. */
function failure(error: unknown): number {
  // Every command's error report (scripts/cli-output.ts), with the kind of failure; commander has
  // written its own usage errors to stderr.
  const say = (kind: string, message: string, extra: Record<string, unknown> = {}) =>
    reportError(message, kind === "usage" ? 2 : 1, { kind, ...extra }, kind === "usage");
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return 0; // --help
    let message = error.message.replace(/^error: /, "");
    if (error.code === "commander.help") message = `give a subcommand: ${SUBCOMMANDS.join(", ")} (--help says more)`;
    if (error.code === "commander.unknownCommand") {
      message += `. ${KEEPS_DATA}`;
      process.stderr.write(`${KEEPS_DATA}\n`);
    }
    say("usage", message);
    return 2;
  }
  if (error instanceof ConfigError) {
    say("invalid-stack", `${error.message}\nNothing was written.`, { file: error.source, problems: error.problems });
    return 1;
  }
  if (error instanceof UnknownCreatorError) {
    say("unknown-creator", `${error.message}\nNothing was written.`);
    return 1;
  }
  // Unexpected: the message, never a stack trace.
  say("failed", `the command failed: ${error instanceof Error ? error.message : String(error)}\nNothing was written.`);
  return 1;
}

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = failure(error);
}
