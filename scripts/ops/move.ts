// `ops move`: move a creator between stacks (regions). Back up from the source,
// restore into the target, verify, then move the creator's entry from one stack
// file to the other, and print what must still be done by hand.
import { rerunCommand } from "../cli-output.ts";
import { Command, Option } from "commander";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { EXIT_FAILED, EXIT_OK, DEFAULT_STACKS_DIR, InputError, UsageError } from "./cli-common.ts";
import { costCeilingViolation, costReport } from "../../infra/cost/index.ts";
import { fillTemplate, resolveCreators, type CreatorSource } from "./creator-databases.ts";
import { KEY_FILE_HELP, backupCreators } from "./backup.ts";
import { countRows, readBackupKey, rowCountDifferences, sha256File } from "./manifest.ts";
import { STORE_HELP, addStoreOptions, openStore, type StoreOptions } from "./object-store.ts";
import { restoreOne } from "./restore.ts";
import { writableDirectory } from "../cli-options.ts";
import { projectKeys, stackConfigOf } from "../../infra/config/stack-file.ts";
import { ConfigError, validateStackConfig } from "../../infra/config/validate.ts";
import { moveCreatorEntry, parseStackCreators, stackOptionPath, type StackCreator } from "./stack-entries.ts";
import { errorMessage } from "./outcome.ts";
import { join, resolve } from "node:path";

export interface MoveOptions extends StoreOptions {
  fromStack: string;
  toStack: string;
  stacksDir: string;
  fromDir?: string;
  fromPathTemplate?: string;
  fromUrlTemplate?: string;
  tokenEnv?: string;
  tokenFile?: string;
  toDir?: string;
  toPathTemplate?: string;
  backupTo: string;
  force?: boolean;
  json?: boolean;
  busyTimeout: number;
  keyFile?: string;
}

export interface MoveResult {
  creator: string;
  snapshot: string;
  target: string;
  rows: Record<string, number>;
  stackFiles: { from: string; to: string };
  manualSteps: string[];
}

/** What an operator must still do once the data and the stack files have moved. Pure. */
export function manualSteps(entry: StackCreator, fromStack: string, toStack: string, source: string): string[] {
  const domains = entry.domains ?? [];
  return [
    `Run 'pulumi up' on stack ${toStack} (creates ${entry.id}'s pod with the restored database), then on ${fromStack} (removes it there).`,
    ...(domains.length > 0
      ? domains.map((d) => `DNS: point ${d} at the ingress of stack ${toStack} (and lower its TTL beforehand); check TLS is issued there.`)
      : [`DNS: ${entry.id} has no custom domains; nothing to repoint.`]),
    `Stop writes at the source before the final switch, or repeat the move: anything written at ${source} after the snapshot is not in ${toStack}.`,
    `Once traffic reaches ${toStack}, delete the source database ${source} (it was left untouched).`,
  ];
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function runMove(id: string, o: MoveOptions, out: NodeJS.WritableStream): Promise<number> {
  // 1. Everything that can be checked without touching data, first.
  const fromFile = stackOptionPath(o.fromStack, o.stacksDir);
  const toFile = stackOptionPath(o.toStack, o.stacksDir);
  if (fromFile === toFile) throw new UsageError("--from-stack and --to-stack are the same stack");
  const read = (f: string, opt: string): string => {
    try {
      return readFileSync(f, "utf8");
    } catch (e) {
      throw new UsageError(`${opt}: cannot read ${f}: ${errorMessage(e)}`);
    }
  };
  const fromText = read(fromFile, "--from-stack");
  const toText = read(toFile, "--to-stack");
  const edited = moveCreatorEntry({ text: fromText, file: fromFile }, { text: toText, file: toFile }, id);
  // Both stacks as they will be must pass what the plan checks (the schema, e.g. the creator's
  // plan exists in the target stack and its domains are free there; the capacity of the pools;
  // the cost ceiling), before any data moves: a move never leaves a stack that fails to plan.
  for (const [text, file] of [[edited.source, fromFile], [edited.target, toFile]] as const) {
    const source = `${file} (after the move)`;
    try {
      const config = validateStackConfig(projectKeys(stackConfigOf(text, file).config), source);
      const violation = costCeilingViolation(costReport(config, { source }), config);
      if (violation) throw new ConfigError(source, [{ path: "maxMonthlyCostPerCreator", message: violation }]);
    } catch (error) {
      if (error instanceof ConfigError) throw new InputError(`${error.message}\nNothing was moved or changed.`);
      throw error;
    }
  }
  const entry = parseStackCreators(fromText, fromFile).find((c) => c.id === id) as StackCreator;
  if ((o.toDir === undefined) === (o.toPathTemplate === undefined)) throw new UsageError("give exactly one of --to-dir or --to-path-template");
  const target = o.toDir !== undefined ? join(resolve(o.toDir), `${id}.db`) : resolve(fillTemplate(o.toPathTemplate as string, id, "--to-path-template"));
  const source: CreatorSource = resolveCreators({
    stacksDir: o.stacksDir,
    creator: [id],
    ...(o.fromDir !== undefined ? { dir: o.fromDir } : { stack: o.fromStack }),
    ...(o.fromPathTemplate !== undefined ? { pathTemplate: o.fromPathTemplate } : {}),
    ...(o.fromUrlTemplate !== undefined ? { urlTemplate: o.fromUrlTemplate } : {}),
    ...(o.tokenEnv !== undefined ? { tokenEnv: o.tokenEnv } : {}),
    ...(o.tokenFile !== undefined ? { tokenFile: o.tokenFile } : {}),
  });
  const store = openStore(o.backupTo, "--backup-to", o, true);

  // 2. Back up from the source.
  const backup = await backupCreators(source, store, { busyTimeoutMs: o.busyTimeout, concurrency: 1, key: readBackupKey(o.keyFile) });
  const manifest = backup.backedUp[0];
  // What to do when a data step fails: nothing of the stack files changed, so the same command is the retry.
  const retry = `To recover: fix the cause above, then run the same command again (it takes a new snapshot):\n  ${rerunCommand("ops")}\n`;
  if (!manifest) {
    out.write(`move ${id}: backup failed: ${backup.failed[0]?.error ?? "unknown"}; nothing was changed\n${retry}`);
    return EXIT_FAILED;
  }
  // 3. Restore into the target, 4. verify what landed there.
  try {
    await restoreOne(store, manifest, target, o.force === true);
    const sha = sha256File(target);
    if (sha !== manifest.sha256) throw new Error(`the target file's sha256 ${sha} is not the snapshot's ${manifest.sha256}`);
    const diff = rowCountDifferences(manifest.tables, countRows(target));
    if (diff.length > 0) throw new Error(`row counts at the target differ: ${diff.join("; ")}`);
  } catch (e) {
    out.write(`move ${id}: restore into ${target} failed: ${errorMessage(e)}; stack files unchanged (snapshot ${backup.snapshot} kept)\n${retry}`);
    return EXIT_FAILED;
  }
  // 5. Only now the stack files.
  writeAtomically(toFile, edited.target);
  writeAtomically(fromFile, edited.source);
  const sourceName = source.kind === "files" ? (source.creators[0]?.path ?? "") : (source.creators[0]?.url ?? "");
  const result: MoveResult = {
    creator: id,
    snapshot: backup.snapshot,
    target,
    rows: manifest.tables,
    stackFiles: { from: fromFile, to: toFile },
    manualSteps: manualSteps(entry, o.fromStack, o.toStack, sourceName),
  };
  if (o.json) out.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    out.write(`moved ${id} from ${o.fromStack} to ${o.toStack}: snapshot ${backup.snapshot}, ${Object.values(manifest.tables).reduce((a, b) => a + b, 0)} rows verified at ${target}\n`);
    out.write(`stack files updated: ${fromFile}, ${toFile}\n\nStill to do by hand:\n${result.manualSteps.map((s, i) => `  ${i + 1}. ${s}`).join("\n")}\n`);
  }
  return EXIT_OK;
}

export function moveCommand(): Command {
  const cmd = new Command("move")
    .description(
      "Move a creator between stacks (regions): back up from the source, restore into the target, verify sha256 and rows per table, " +
        "then move the creator's entry between the stack files (comments and order kept) and print what must still be done by hand (DNS).",
    )
    .argument("<creator>", "the creator id")
    .requiredOption("--from-stack <name>", "the stack the creator is in now (stacks/Pulumi.<name>.yaml)")
    .requiredOption("--to-stack <name>", "the stack it moves to")
    .option("--stacks-dir <path>", "where the stack files are", DEFAULT_STACKS_DIR)
    .option("--from-dir <path>", "source database: <path>/<creator>.db")
    .option("--from-path-template <path>", "source database file, {id} replaced, e.g. '/mnt/eu/{id}/dbs/default/data'")
    .option("--from-url-template <url>", "source sqld endpoint, {id} replaced")
    .option("--token-env <var>", "with --from-url-template: environment variable holding the auth token")
    .option("--token-file <template>", "with --from-url-template: the creator's token file")
    .addOption(new Option("--to-dir <path>", "target: <path>/<creator>.db").argParser(writableDirectory("--to-dir")))
    .option("--to-path-template <path>", "target database file, {id} replaced (the target sqld must be stopped)")
    .requiredOption("--backup-to <store>", "backup store for the snapshot that carries the data (kept afterwards): a local directory or s3://bucket/prefix")
    .option("--force", "replace an existing target database even if newer (it is kept as .replaced-<time>)")
    .option("--json", "print the result and the manual steps as JSON")
    .option("--key-file <path>", KEY_FILE_HELP)
    .option("--busy-timeout <ms>", "how long to wait for a locked source file", (v: string) => Number(v), 5000);
  addStoreOptions(cmd);
  cmd.addHelpText("after", `${STORE_HELP}\n\nExit codes: 0 moved, 1 the data step failed (stack files untouched), 2 bad arguments.\n\nExample:\n  npm run ops -- move alice --from-stack eu --to-stack us --from-dir /mnt/eu --to-dir /mnt/us --backup-to ./backups`);
  return cmd.action(async (id: string, o: MoveOptions) => {
    const sources = [o.fromDir, o.fromPathTemplate, o.fromUrlTemplate].filter((x) => x !== undefined);
    if (sources.length !== 1) throw new UsageError("give exactly one of --from-dir, --from-path-template or --from-url-template");
    process.exitCode = await runMove(id, o, process.stdout);
  });
}
