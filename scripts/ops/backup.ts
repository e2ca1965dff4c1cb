// `ops backup`: a consistent snapshot of each creator's database into a store,
// with a manifest per snapshot (creator, time, size, sha256, rows per table).
// Layout: <store>/<snapshot-id>/<creator>.db and <creator>.manifest.json.
import { Command } from "commander";
import Table from "cli-table3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_FAILED, EXIT_OK, InputError, UsageError, addSourceOptions, intOption, progressBar, type SourceOptions } from "./cli-common.ts";
import { fileProblem } from "./attach-batches.ts";
import { notGhostReason } from "./in-use.ts";
import { resolveCreators, type CreatorSource, type FileCreator, type UrlCreator } from "./creator-databases.ts";
import { describeFile, readBackupKey, signManifest, type Manifest } from "./manifest.ts";
import { STORE_HELP, addStoreOptions, openStore, type ObjectStore, type StoreOptions } from "./object-store.ts";
import { errorMessage } from "./outcome.ts";
import { mapConcurrent } from "./pool.ts";
import { snapshotEndpoint, snapshotFile, type SnapshotTaken } from "./snapshot.ts";

export const KEY_FILE_HELP =
  "the operators' backup key (at least 32 bytes; default $OPS_BACKUP_KEY_FILE): backup signs each manifest with it (HMAC-SHA256), " +
  "restore refuses a manifest that does not match; keep it away from the backups";

export interface BackupResult {
  snapshot: string;
  store: string;
  backedUp: Manifest[];
  failed: Array<{ creator: string; error: string }>;
}

/** A sortable snapshot id from a time: 20261127T221500Z. */
export function snapshotId(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export const snapshotKeys = (snapshot: string, creator: string): { db: string; manifest: string } => ({
  db: `${snapshot}/${creator}.db`,
  manifest: `${snapshot}/${creator}.manifest.json`,
});

/** Backs up every creator of `source` into `store` under a new snapshot id. */
export async function backupCreators(
  source: CreatorSource,
  store: ObjectStore,
  options: { busyTimeoutMs: number; concurrency: number; onDone?: () => void; now?: Date; key?: Buffer | undefined },
): Promise<BackupResult> {
  let snapshot = snapshotId(options.now ?? new Date());
  const existing = await store.list("");
  while (existing.includes(`${snapshot}/`)) snapshot += "x"; // two runs in one second
  const staging = mkdtempSync(join(tmpdir(), "ops-backup-"));
  const result: BackupResult = { snapshot, store: store.location, backedUp: [], failed: [] };
  const one = async (c: FileCreator | UrlCreator): Promise<void> => {
    const local = join(staging, `${c.id}.db`);
    try {
      if (source.kind === "files") {
        const notGhost = fileProblem((c as FileCreator).path) ?? notGhostReason((c as FileCreator).path, options.busyTimeoutMs);
        if (notGhost) throw new Error(notGhost);
      }
      const taken: SnapshotTaken =
        source.kind === "files" ? snapshotFile(c as FileCreator, local, options.busyTimeoutMs) : await snapshotEndpoint(c as UrlCreator, local);
      // What an endpoint sent must be a Ghost database too, not an empty one.
      const copied = notGhostReason(local);
      if (copied) throw new Error(copied.replace(local, `the copy of ${c.id}`));
      const keys = snapshotKeys(snapshot, c.id);
      const described: Manifest = { format: 1, creator: c.id, ...taken, file: keys.db, ...describeFile(local) };
      const manifest = options.key ? signManifest(described, options.key) : described;
      await store.putFile(keys.db, local);
      // The manifest last: a snapshot without its manifest is never listed as restorable.
      await store.putText(keys.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
      result.backedUp.push(manifest);
    } catch (e) {
      result.failed.push({ creator: c.id, error: errorMessage(e) });
    } finally {
      rmSync(local, { force: true });
      options.onDone?.();
    }
  };
  try {
    const creators: ReadonlyArray<FileCreator | UrlCreator> = source.creators;
    // Files are read synchronously (one at a time); endpoints a bounded number at once.
    for await (const _ of mapConcurrent(creators, source.kind === "files" ? 1 : options.concurrency, one)) void _;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return result;
}

export interface BackupOptions extends SourceOptions, StoreOptions {
  to: string;
  keyFile?: string;
  json?: boolean;
  concurrency: number;
  busyTimeout: number;
}

export async function runBackup(o: BackupOptions, out: NodeJS.WritableStream): Promise<number> {
  if (!o.to) throw new UsageError("--to: where to put the snapshot is required");
  const store = openStore(o.to, "--to", o, true);
  const source = resolveCreators(o);
  if (source.creators.length === 0) {
    throw new InputError(`nothing to back up: ${o.dir !== undefined ? `${o.dir} has no <creator-id>.db files` : "the source names no creators"}`);
  }
  const bar = progressBar(source.creators.length, "backup", o.json === true);
  let result: BackupResult;
  try {
    const key = readBackupKey(o.keyFile);
    result = await backupCreators(source, store, { busyTimeoutMs: o.busyTimeout, concurrency: o.concurrency, onDone: () => bar.tick(), key });
  } finally {
    bar.stop();
  }
  if (o.json) {
    out.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const t = new Table({ head: ["creator", "bytes", "rows", "sha256"], style: { head: [], border: [] } });
    for (const m of result.backedUp) t.push([m.creator, m.size, Object.values(m.tables).reduce((a, b) => a + b, 0), m.sha256.slice(0, 16)]);
    out.write(`snapshot ${result.snapshot} in ${result.store}: ${result.backedUp.length} backed up, ${result.failed.length} failed\n${t.toString()}\n`);
    for (const f of result.failed) out.write(`FAILED ${f.creator}: ${f.error}\n`);
  }
  return result.failed.length > 0 ? EXIT_FAILED : EXIT_OK;
}

export function backupCommand(): Command {
  const cmd = new Command("backup")
    .description(
      "Take a consistent snapshot of each creator database while Ghost may be writing " +
        "(database files: VACUUM INTO on a read-only connection; sqld endpoints: a logical copy in one read transaction), " +
        "into <to>/<snapshot-id>/<creator>.db (a directory or an S3-compatible bucket) with <creator>.manifest.json (creator, time, size, sha256, rows per table).",
    )
    .requiredOption("--to <store>", "the backup store: a local directory or s3://bucket/prefix")
    .option("--json", "print the snapshot id, the manifests and the failures as JSON")
    .option("--key-file <path>", KEY_FILE_HELP)
    .addOption(intOption("--concurrency <n>", "sqld endpoints backed up at once", 4))
    .addOption(intOption("--busy-timeout <ms>", "how long to wait for a locked database file", 5000, 0));
  addSourceOptions(cmd);
  addStoreOptions(cmd);
  cmd.addHelpText(
    "after",
    `${STORE_HELP}\n\nExit codes: 0 all backed up, 1 some creator failed or the store could not be used, 2 bad arguments.\n\n` +
      "Examples:\n  npm run ops -- backup --dir ./dbs --to ./backups --json\n" +
      "  npm run ops -- backup --dir ./dbs --to s3://creator-backups/eu --s3-endpoint https://eu-central-1.linodeobjects.com",
  );
  return cmd.action(async (o: BackupOptions) => {
    process.exitCode = await runBackup(o, process.stdout);
  });
}
