// `ops restore`: one creator or all from a snapshot. Every snapshot is checked
// (sha256, rows per table, integrity) before anything is replaced; a database
// changed after the snapshot was taken is not overwritten unless forced; the
// replaced file is kept beside the restored one.
import { Command, Option } from "commander";
import Table from "cli-table3";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { EXIT_FAILED, EXIT_OK, UsageError, progressBar } from "./cli-common.ts";
import { fillTemplate } from "./creator-databases.ts";
import { countRows, integrityCheck, parseManifest, readBackupKey, rowCountDifferences, sha256File, verifyManifest, type Manifest } from "./manifest.ts";
import { STORE_HELP, addStoreOptions, openStore, type ObjectStore, type StoreOptions } from "./object-store.ts";
import { errorMessage } from "./outcome.ts";
import { KEY_FILE_HELP, snapshotKeys } from "./backup.ts";
import { isCreatorId } from "./stack-entries.ts";
import { SIDE_FILES, inUseReason } from "./in-use.ts";
import { writableDirectory } from "../cli-options.ts";

/** Latest modification of a database, its WAL included; null when it does not exist. */
export function lastModifiedMs(path: string): number | null {
  const times = SIDE_FILES.slice(0, 2).flatMap((s) => (existsSync(path + s) ? [statSync(path + s).mtimeMs] : []));
  return times.length > 0 ? Math.max(...times) : null;
}

export type RestoreDecision = { action: "write" } | { action: "replace" } | { action: "refuse"; reason: string };

/** Pure: whether to write a restored database over what is at the target. */
export function decideRestore(input: { targetModifiedMs: number | null; takenAt: string; force: boolean }): RestoreDecision {
  if (input.targetModifiedMs === null) return { action: "write" };
  const taken = Date.parse(input.takenAt);
  if (input.targetModifiedMs > taken && !input.force) {
    return {
      action: "refuse",
      reason: `the database was changed at ${new Date(input.targetModifiedMs).toISOString()}, after the snapshot (${input.takenAt}); use --force to replace it anyway`,
    };
  }
  return { action: "replace" };
}

/** Downloads (to a temporary local file) and checks a snapshot against its manifest; throws naming the first mismatch. */
export async function fetchVerified(store: ObjectStore, manifest: Manifest, localPath: string): Promise<void> {
  await store.getFile(manifest.file, localPath);
  const sha = sha256File(localPath);
  if (sha !== manifest.sha256) throw new Error(`checksum mismatch for ${manifest.file}: manifest ${manifest.sha256}, file ${sha}`);
  const integrity = integrityCheck(localPath);
  if (integrity !== "ok") throw new Error(`integrity check failed for ${manifest.file}: ${integrity}`);
  const diff = rowCountDifferences(manifest.tables, countRows(localPath));
  if (diff.length > 0) throw new Error(`row counts differ from the manifest: ${diff.join("; ")}`);
}

export interface Restored {
  creator: string;
  target: string;
  /** Where the database that was replaced now is. */
  replaced: string | null;
  rows: number;
}

/** Restores one creator's snapshot to `target`. */
export async function restoreOne(store: ObjectStore, manifest: Manifest, target: string, force: boolean, now = new Date()): Promise<Restored> {
  const staging = join(dirname(target), `.${manifest.creator}.restore-${process.pid}.tmp`);
  mkdirSync(dirname(target), { recursive: true });
  try {
    await fetchVerified(store, manifest, staging);
    // Never overridden by --force: replacing a database under its writer loses that writer's transaction.
    const busy = existsSync(target) ? inUseReason(target) : undefined;
    if (busy) throw new Error(busy);
    const decision = decideRestore({ targetModifiedMs: lastModifiedMs(target), takenAt: manifest.takenAt, force });
    if (decision.action === "refuse") throw new Error(decision.reason);
    let replaced: string | null = null;
    if (decision.action === "replace") {
      replaced = `${target}.replaced-${now.toISOString().replace(/[-:.]/g, "")}`;
      // The WAL belongs to the old file: it moves with it, or SQLite would apply it to the restored one.
      for (const s of SIDE_FILES) if (existsSync(target + s)) renameSync(target + s, replaced + s);
    }
    renameSync(staging, target);
    // Stamped with the snapshot's time: only a later write makes it "newer than the backup".
    const taken = new Date(manifest.takenAt);
    utimesSync(target, taken, taken);
    return { creator: manifest.creator, target, replaced, rows: Object.values(manifest.tables).reduce((a, b) => a + b, 0) };
  } finally {
    rmSync(staging, { force: true });
  }
}

/** Snapshot ids in a store, oldest first. */
export async function listSnapshots(store: ObjectStore): Promise<string[]> {
  return (await store.list("")).filter((k) => k.endsWith("/")).map((k) => k.slice(0, -1)).filter((k) => /^\d{8}T\d{6}Z/.test(k));
}

export async function readManifests(store: ObjectStore, snapshot: string, creators: readonly string[] | "all", backupKey?: Buffer): Promise<Manifest[]> {
  // Listed first, so that an unreachable store is not reported as a missing manifest.
  const keys = new Set((await store.list(`${snapshot}/`)).filter((k) => k.endsWith(".manifest.json")));
  const ids = creators === "all" ? [...keys].map((k) => k.slice(snapshot.length + 1, -".manifest.json".length)) : creators;
  const manifests: Manifest[] = [];
  for (const id of ids) {
    const key = snapshotKeys(snapshot, id).manifest;
    if (!keys.has(key)) throw new UsageError(`--creator: ${id} has no manifest in snapshot ${snapshot}`);
    const text = await store.getText(key);
    const m = parseManifest(text, key);
    if (m.creator !== id) throw new UsageError(`${key}: names creator ${m.creator}, not ${id}`);
    verifyManifest(m, backupKey, key);
    manifests.push(m);
  }
  return manifests;
}

export interface RestoreOptions extends StoreOptions {
  from: string;
  snapshot: string;
  creator?: string[];
  all?: boolean;
  dir?: string;
  pathTemplate?: string;
  force?: boolean;
  json?: boolean;
  keyFile?: string;
}

export async function resolveSnapshot(store: ObjectStore, wanted: string): Promise<string> {
  const all = await listSnapshots(store);
  if (all.length === 0) throw new UsageError(`--from: no snapshots in ${store.location}`);
  if (wanted === "latest") return all.at(-1) as string;
  if (!all.includes(wanted)) throw new UsageError(`--snapshot: ${wanted} is not in ${store.location} (have: ${all.join(", ")})`);
  return wanted;
}

export async function runRestore(o: RestoreOptions, out: NodeJS.WritableStream): Promise<number> {
  if ((o.creator === undefined) === (o.all !== true)) throw new UsageError("give --creator <ids...> or --all");
  if ((o.dir === undefined) === (o.pathTemplate === undefined)) throw new UsageError("give exactly one of --dir <path> or --path-template <path>");
  for (const id of o.creator ?? []) if (!isCreatorId(id)) throw new UsageError(`--creator: "${id}" is not a creator id`);
  const store = openStore(o.from, "--from", o);
  const snapshot = await resolveSnapshot(store, o.snapshot);
  const manifests = await readManifests(store, snapshot, o.all ? "all" : (o.creator as string[]), readBackupKey(o.keyFile));
  const target = (id: string): string => (o.dir !== undefined ? join(resolve(o.dir), `${id}.db`) : resolve(fillTemplate(o.pathTemplate as string, id, "--path-template")));
  const restored: Restored[] = [];
  const failed: Array<{ creator: string; error: string }> = [];
  const bar = progressBar(manifests.length, "restore", o.json === true);
  try {
    for (const m of manifests) {
      try {
        restored.push(await restoreOne(store, m, target(m.creator), o.force === true));
      } catch (e) {
        failed.push({ creator: m.creator, error: errorMessage(e) });
      }
      bar.tick();
    }
  } finally {
    bar.stop();
  }
  if (o.json) out.write(`${JSON.stringify({ snapshot, restored, failed }, null, 2)}\n`);
  else {
    const t = new Table({ head: ["creator", "rows", "restored to", "replaced file kept as"], style: { head: [], border: [] } });
    for (const r of restored) t.push([r.creator, r.rows, r.target, r.replaced ?? "-"]);
    out.write(`snapshot ${snapshot}: ${restored.length} restored, ${failed.length} failed\n${t.toString()}\n`);
    for (const f of failed) out.write(`FAILED ${f.creator}: ${f.error}\n`);
  }
  return failed.length > 0 ? EXIT_FAILED : EXIT_OK;
}

export function restoreCommand(): Command {
  const cmd = new Command("restore")
    .description(
      "Restore one creator or all from a snapshot. Each snapshot is verified (sha256, rows per table, integrity_check) before anything is replaced; " +
        "a database modified after the snapshot was taken is refused unless --force; the replaced file (with its -wal/-shm) is kept as <file>.replaced-<time>. " +
        "Stop the creator's sqld (scale its pod to 0) before restoring its data file.",
    )
    .requiredOption("--from <store>", "the backup store: a local directory or s3://bucket/prefix")
    .option("--snapshot <id>", "snapshot id, or latest", "latest")
    .option("--creator <ids...>", "the creators to restore")
    .option("--all", "restore every creator in the snapshot")
    .addOption(new Option("--dir <path>", "target: a directory of <creator-id>.db files").argParser(writableDirectory("--dir")))
    .option("--path-template <path>", "target: each creator's database file, e.g. '/mnt/sqld/{id}/dbs/default/data'")
    .option("--force", "replace a database even if it changed after the snapshot (the replaced file is still kept); never one in use")
    .option("--json", "print the restored and failed creators as JSON")
    .option("--key-file <path>", KEY_FILE_HELP);
  addStoreOptions(cmd);
  cmd.addHelpText(
    "after",
    `${STORE_HELP} Snapshots are downloaded to a temporary file and verified there.\n\n` +
      "A database another process holds open (its -wal, -shm or -journal included), or one with a hot journal, is never replaced, --force or not.\n\n" +
      "Exit codes: 0 all restored, 1 some creator failed or the store could not be used (nothing replaced), 2 bad arguments.\n\n" +
      "Examples:\n  npm run ops -- restore --from ./backups --snapshot latest --all --dir ./dbs\n" +
      "  npm run ops -- restore --from s3://creator-backups/eu --s3-endpoint https://eu-central-1.linodeobjects.com --creator alice --dir ./dbs",
  );
  return cmd.action(async (o: RestoreOptions) => {
    process.exitCode = await runRestore(o, process.stdout);
  });
}
