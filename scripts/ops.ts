// Operator tools for creator databases: `npm run ops -- <command> …`.
// Exit codes: 0 ok, 1 some creator failed, 2 bad arguments.
import "./closed-pipe.ts";
import { Command, CommanderError } from "commander";
import { EXIT_USAGE, InputError, UsageError } from "./ops/cli-common.ts";
import { jsonRequested, printJson, reportError } from "./cli-output.ts";
import { RefusedSqlError } from "./ops/read-only-sql.ts";
import { StackFileError } from "./ops/stack-entries.ts";
import { StoreError } from "./ops/object-store.ts";
import { analyticsCommand } from "./ops/analytics.ts";
import { backupCommand } from "./ops/backup.ts";
import { restoreCommand } from "./ops/restore.ts";
import { moveCommand } from "./ops/move.ts";

const program = new Command("ops")
  .description("Operations on creator databases: platform analytics, backup, restore, moving a creator between stacks.")
  .exitOverride()
  .showHelpAfterError();
for (const cmd of [analyticsCommand(), backupCommand(), restoreCommand(), moveCommand()]) {
  program.addCommand(cmd.exitOverride().showHelpAfterError());
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; every other commander error is a usage error (commander said why on stderr).
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
    if (e.exitCode !== 0 && jsonRequested()) printJson({ error: { message: e.message.replace(/^error: /, ""), exitCode: EXIT_USAGE } });
  } else if (e instanceof UsageError || e instanceof RefusedSqlError || e instanceof StackFileError) {
    reportError(`error: ${e.message}`, EXIT_USAGE);
  } else if (e instanceof StoreError || e instanceof InputError) {
    // The backup store could not be used: nothing was replaced.
    reportError(`error: ${e.message}`, 1);
  } else {
    // Unexpected: the message, not a stack trace (OPS_DEBUG=1 shows it).
    reportError(`error: ${e instanceof Error ? (process.env.OPS_DEBUG ? (e.stack ?? e.message) : e.message) : String(e)}`, 1);
  }
}
