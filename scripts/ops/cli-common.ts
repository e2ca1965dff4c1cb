// What every ops command shares: exit codes, the usage error, the options that
// say where the creators' databases are, and the progress bar.
import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import { fileURLToPath } from "node:url";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad arguments: reported before anything is done, exit code 2. */
/** Input that is well-formed but cannot be acted on (an empty source, a database in use): exit 1. */
export class InputError extends Error {}

export class UsageError extends Error {
  override name = "UsageError";
}

export const DEFAULT_STACKS_DIR = fileURLToPath(new URL("../../stacks", import.meta.url));

export interface SourceOptions {
  dir?: string;
  stack?: string;
  stacksDir: string;
  urlTemplate?: string;
  pathTemplate?: string;
  tokenEnv?: string;
  tokenFile?: string;
  creator?: string[];
}

/** Adds the options that say which creators and where their databases are. */
export function addSourceOptions(cmd: Command, role = "source"): Command {
  return cmd
    .option("--dir <path>", `${role}: a directory of database files, one <creator-id>.db per creator`)
    .option("--stack <name>", `${role}: the creators of stacks/Pulumi.<name>.yaml (state not "retired"); needs --url-template or --path-template`)
    .option("--stacks-dir <path>", "where the stack files are", DEFAULT_STACKS_DIR)
    .option(
      "--url-template <url>",
      "with --stack: each creator's sqld URL, {id} replaced by the creator id, e.g. " +
        "'http://ghost.creator-{id}.svc.cluster.local:8080' (from a pod in the platform-ops namespace, the only one the creators' NetworkPolicies admit to sqld; or one 'kubectl port-forward' per creator); " +
        "file: URLs go through the same client",
    )
    .option("--path-template <path>", "with --stack: each creator's database file, e.g. '/mnt/sqld/{id}/dbs/default/data'")
    .option("--token-env <var>", "with --url-template: environment variable holding the sqld auth token (JWT) for every creator")
    .option("--token-file <template>", "with --url-template: a file per creator holding its token, e.g. '/secrets/{id}/token'")
    .option("--creator <ids...>", "only these creators");
}

export function intOption(flag: string, description: string, defaultValue: number, min = 1): Option {
  return new Option(flag, description).default(defaultValue).argParser((v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag.split(" ")[0]}: "${v}" is not a whole number ≥ ${min}`);
    return n;
  });
}

export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

/** A progress bar on stderr, only when stderr is a terminal and the output is not --json. */
export function progressBar(total: number, label: string, json: boolean): Progress {
  if (!process.stderr.isTTY || json || total === 0) return { tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} creators, {eta_formatted} left`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: (n = 1) => bar.increment(n), stop: () => bar.stop() };
}
