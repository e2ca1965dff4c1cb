// Whether a database file is in use, and whether a file is a Ghost database:
// the checks the operations tools make before they replace or back up one.
//
// A SQLite connection in rollback-journal mode holds no lock while it is idle,
// so locks cannot tell an open writer; the files a process holds open can. On
// Linux every process's open files are under /proc/<pid>/fd: any process other
// than this one holding the database, its -wal, -shm or -journal open is using
// it. A hot journal (a non-empty -journal with no process holding it) is a
// transaction a crashed writer left half done: SQLite rolls it back on the next
// open, so replacing the file under it would lose that recovery.
import Database from "libsql";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { readOnlyUri } from "./attach-batches.ts";

/** A database and the files SQLite keeps beside it, as suffixes of its path. */
export const SIDE_FILES = ["", "-wal", "-shm", "-journal"];

/** Processes (other than this one) that hold the database or one of its side files open. */
export function openHandles(databasePath: string): Array<{ pid: number; command: string; file: string }> {
  let dir: string;
  try {
    dir = realpathSync(dirname(databasePath));
  } catch {
    return [];
  }
  const base = databasePath.slice(dirname(databasePath).length + 1);
  const targets = new Set(SIDE_FILES.map((s) => join(dir, `${base}${s}`)));
  const found: Array<{ pid: number; command: string; file: string }> = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return []; // not Linux: nothing to read
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let file: string;
      try {
        file = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/ \(deleted\)$/, "");
      } catch {
        continue;
      }
      if (!targets.has(file)) continue;
      let command = "";
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").replace(/\s+/g, " ").slice(0, 120);
      } catch {
        // the process ended
      }
      found.push({ pid: Number(pid), command, file });
    }
  }
  return found;
}

/** Why a database must not be replaced now, or undefined when nothing uses it. */
export function inUseReason(databasePath: string): string | undefined {
  const handles = openHandles(databasePath);
  if (handles.length > 0) {
    const who = [...new Map(handles.map((h) => [h.pid, h])).values()].map((h) => `pid ${h.pid} (${h.command || "?"})`).join(", ");
    return `the database is in use: ${who} holds it open; stop its writer (scale the creator's pod to 0) first`;
  }
  const journal = `${databasePath}-journal`;
  if (existsSync(journal) && statSync(journal).size > 0) {
    return `the database has a hot journal (${journal}): a writer stopped mid-transaction; open it once with SQLite to roll that back, then restore`;
  }
  return undefined;
}

/** Tables every Ghost database has (Ghost 6's schema); a file without them is not a creator's database. */
export const GHOST_TABLES = ["posts", "users", "settings", "migrations"];

/** Why a file is not a Ghost database, or undefined when it is one. */
export function notGhostReason(path: string, busyTimeoutMs = 5000): string | undefined {
  const size = statSync(path).size;
  if (size === 0) return `${path} is empty (0 bytes): not a database`;
  const header = Buffer.alloc(16);
  const fd = openSync(path, "r");
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1") !== "SQLite format 3\u0000") return `${path} is not a database (no SQLite header)`;
  const db = new Database(readOnlyUri(path));
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").raw().all() as string[][]).map((r) => r[0]));
    const missing = GHOST_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0) return `${path} is not a Ghost database: no ${missing.join(", ")} table${missing.length > 1 ? "s" : ""}`;
  } finally {
    db.close();
  }
  return undefined;
}
