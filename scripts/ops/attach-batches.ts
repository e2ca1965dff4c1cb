// Runs one read-only query over many creator database files on a single libSQL
// connection: the files are ATTACHed read-only in batches (as many as SQLite's
// attached-database limit allows), the query runs once per batch as a UNION ALL
// of one copy per attached schema, and each creator's rows are handed on as soon
// as that creator is complete. A file that cannot be attached or read fails alone.
import Database from "libsql";
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from "node:fs";
import { qualifyTables } from "./qualify-sql.ts";
import { RefusedSqlError, asSubquery, type ReadOnlyQuery } from "./read-only-sql.ts";
import { CREATOR_COLUMN, errorMessage, type CreatorOutcome } from "./outcome.ts";

export interface FileCreator {
  id: string;
  path: string;
}

export interface AttachOptions {
  /** How long to wait for a locked database before reporting it, in ms. */
  busyTimeoutMs: number;
  /** Attached databases per batch; default and maximum: the connection's limit. */
  batchSize?: number;
}

type Db = InstanceType<typeof Database>;
const SLOT = "__slot";

/** A read-only SQLite URI for a path (%, ? and # escaped). */
export function readOnlyUri(path: string): string {
  return `file:${path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?mode=ro`;
}

/** True when the file's header says WAL mode (read and write versions 2: sqlite.org/fileformat.html). */
function isWalMode(path: string): boolean {
  const header = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * How analytics opens a database without leaving a trace beside it. A read-only
 * connection to a WAL-mode database creates its -wal and -shm files when they are
 * missing (and leaves them: it may not checkpoint). Missing, they mean no
 * connection is open, so the file is read as immutable and nothing is created.
 * With a writer live (-wal present) the reader joins its shared memory as any
 * reader must; no file is created or removed either way.
 */
export function traceFreeUri(path: string): string {
  const idle = isWalMode(path) && !existsSync(`${path}-wal`) && !existsSync(`${path}-shm`);
  return idle ? `${readOnlyUri(path)}&immutable=1` : readOnlyUri(path);
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** How many databases this libSQL build lets one connection attach (SQLITE_MAX_ATTACHED). */
export function attachLimit(db: Db): number {
  let n = 0;
  try {
    for (; n < 200; n++) db.exec(`ATTACH ':memory:' AS probe${n}`);
  } catch {
    // The first refusal marks the limit.
  }
  for (let i = 0; i < n; i++) db.exec(`DETACH probe${i}`);
  return n;
}

/** Why a path cannot be a database file, or null when it may be one. */
export function fileProblem(path: string): string | null {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `not a regular file: ${path}`;
    accessSync(path, constants.R_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `database file not found: ${path}`;
    if (code === "EACCES" || code === "EPERM") return `database file not readable (permission denied): ${path}`;
    return `cannot read ${path}: ${errorMessage(e)}`;
  }
}

function openConnection(busyTimeoutMs: number): Db {
  const db = new Database(":memory:");
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.exec("PRAGMA query_only = ON");
  return db;
}

interface Slot {
  creator: string;
  alias: string;
}

/** Column names of a prepared statement, refusing a user column named like the creator column. */
function userColumns(names: string[], skip: number): string[] {
  const cols = names.slice(skip);
  if (cols.includes(CREATOR_COLUMN)) {
    throw new RefusedSqlError(`--sql: the column name "${CREATOR_COLUMN}" is reserved for the creator id; rename that column`);
  }
  return cols;
}

export class AttachedQuery {
  private db: Db;
  readonly limit: number;
  /** The query rewritten for alias c<k>, and the batch statement for k slots. */
  private readonly perAlias: string[] = [];

  constructor(private readonly query: ReadOnlyQuery, private readonly options: AttachOptions) {
    this.db = openConnection(options.busyTimeoutMs);
    this.limit = Math.min(options.batchSize ?? Number.MAX_SAFE_INTEGER, attachLimit(this.db));
    if (this.limit < 1) throw new Error("this libSQL build cannot attach databases");
  }

  close(): void {
    this.db.close();
  }

  /** Outcomes for every creator, in order, one batch at a time. */
  *run(creators: readonly FileCreator[]): Generator<CreatorOutcome> {
    for (let i = 0; i < creators.length; i += this.limit) yield* this.batch(creators.slice(i, i + this.limit));
  }

  private *batch(batch: readonly FileCreator[]): Generator<CreatorOutcome> {
    const failed = new Map<string, string>();
    const slots: Slot[] = [];
    let pending: Slot[] = [];
    batch.forEach((c, k) => {
      const problem = fileProblem(c.path);
      if (problem) failed.set(c.id, problem);
      else pending.push({ creator: c.id, alias: `c${k}` });
    });
    const paths = new Map(batch.map((c) => [c.id, c.path]));
    // One exec attaches the whole batch; when one ATTACH fails, the ones before it stand.
    while (pending.length > 0) {
      try {
        this.db.exec(pending.map((s) => `ATTACH ${sqlString(traceFreeUri(paths.get(s.creator) as string))} AS ${s.alias};`).join("\n"));
        slots.push(...pending);
        pending = [];
      } catch (e) {
        const attached = new Set((this.db.prepare("PRAGMA database_list").raw().all() as unknown[][]).map((r) => r[1]));
        const bad = pending.findIndex((s) => !attached.has(s.alias));
        slots.push(...pending.slice(0, Math.max(0, bad)));
        if (bad < 0) break;
        failed.set((pending[bad] as Slot).creator, errorMessage(e));
        pending = pending.slice(bad + 1);
      }
    }
    const results = new Map<string, CreatorOutcome>();
    for (const [creator, error] of failed) results.set(creator, { creator, ok: false, error });
    try {
      for (const r of this.queryAttached(slots)) results.set(r.creator, r);
    } finally {
      this.detach(slots);
    }
    for (const c of batch) yield results.get(c.id) as CreatorOutcome;
  }

  /** The batch as one UNION ALL; on any error, the creators not yet complete run one by one. */
  private *queryAttached(slots: readonly Slot[]): Generator<CreatorOutcome> {
    if (slots.length === 0) return;
    let done = 0;
    try {
      const sql = slots.map((s, k) => `SELECT ${k} AS ${SLOT}, * FROM (\n${this.forAlias(s.alias)}\n)`).join("\nUNION ALL\n");
      const stmt = this.db.prepare(sql).raw();
      const columns = userColumns(stmt.columns().map((c) => c.name), 1);
      let rows: unknown[][] = [];
      for (const raw of stmt.iterate() as Iterable<unknown[]>) {
        const k = raw[0] as number;
        // UNION ALL yields each branch in order: a new slot means the ones before are complete.
        for (; done < k; done++) {
          yield { creator: (slots[done] as Slot).creator, ok: true, columns, rows };
          rows = [];
        }
        rows.push(raw.slice(1));
      }
      for (; done < slots.length; done++) {
        yield { creator: (slots[done] as Slot).creator, ok: true, columns, rows };
        rows = [];
      }
    } catch (e) {
      if (e instanceof RefusedSqlError) throw e;
      for (const s of slots.slice(done)) yield this.queryOne(s);
    }
  }

  private forAlias(alias: string): string {
    const k = Number(alias.slice(1));
    return (this.perAlias[k] ??= qualifyTables(this.query.tokens, alias));
  }

  private queryOne(slot: Slot): CreatorOutcome {
    try {
      const stmt = this.db.prepare(asSubquery(this.forAlias(slot.alias))).raw();
      const columns = userColumns(stmt.columns().map((c) => c.name), 0);
      return { creator: slot.creator, ok: true, columns, rows: stmt.all() as unknown[][] };
    } catch (e) {
      if (e instanceof RefusedSqlError) throw e;
      return { creator: slot.creator, ok: false, error: errorMessage(e) };
    }
  }

  private detach(slots: readonly Slot[]): void {
    if (slots.length === 0) return;
    try {
      this.db.exec(slots.map((s) => `DETACH ${s.alias};`).join("\n"));
    } catch {
      // A statement left open by a failed read can keep a schema busy: start afresh.
      this.db.close();
      this.db = openConnection(this.options.busyTimeoutMs);
    }
  }
}
