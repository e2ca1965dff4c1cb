/**
 * What every command does with its errors: a human message on stderr, and under
 * `--json` also exactly one JSON document on stdout, `{"error": {"message",
 * "exitCode", …}}`, so `--json | jq` always reads one document. Exit codes: 2
 * for usage errors (unknown option, bad value, missing argument), 1 for input
 * that is invalid or refused; --help exits 0.
 */
import type { Command } from "commander";

/** Known before the arguments are parsed, so that a usage error is JSON too. */
export const jsonRequested = (): boolean => process.argv.slice(2).includes("--json");

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Says why the command stops, on stderr and (under --json) on stdout, and sets
 * the exit code. `alreadySaid`: the message is on stderr already (commander
 * writes its own usage errors there).
 */
export function reportError(message: string, exitCode: 1 | 2, details: Record<string, unknown> = {}, alreadySaid = false): 1 | 2 {
  if (!alreadySaid) process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
  if (jsonRequested()) printJson({ error: { message: message.trim().replace(/^error: /, ""), exitCode, ...details } });
  process.exitCode = exitCode;
  return exitCode;
}

export function exitWithError(message: string, exitCode: 1 | 2, details: Record<string, unknown> = {}): never {
  reportError(message, exitCode, details);
  process.exit(exitCode);
}

/**
 * Commander's own errors exit 2 (help 0), as one JSON document under --json;
 * commander has already written its message and the usage to stderr.
 */
export function usageErrors(command: Command): Command {
  return command.exitOverride((error) => {
    if (error.exitCode === 0) process.exit(0);
    if (jsonRequested()) printJson({ error: { message: error.message.replace(/^error: /, ""), exitCode: 2 } });
    process.exit(2);
  });
}

/** An argument as a shell reads it back. */
export const shellQuoted = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** This process's command line as a user types it again: `npm run -s <script> -- <arguments>`. */
export function rerunCommand(script: string): string {
  return `npm run -s ${script} -- ${process.argv.slice(2).map(shellQuoted).join(" ")}`;
}
