// Unit tests of the image's preload module (images/ghost-libsql/libsql-preload.cjs):
// environment parsing and refusals, the statement-level fixes for replica mode,
// and the require('better-sqlite3') redirection, against real libsql files.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const PRELOAD = resolve(import.meta.dirname, "../../images/ghost-libsql/libsql-preload.cjs");

type Env = Record<string, string | undefined>;
interface LibsqlStatement {
  run(...args: unknown[]): { changes: number };
  get(...args: unknown[]): Record<string, unknown> | undefined;
  all(...args: unknown[]): Array<Record<string, unknown>>;
}
interface LibsqlDb {
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  pragma(source: string, opts?: { simple?: boolean }): unknown;
  close(): void;
  name: string;
}
type DbClass = new (filename: string, opts?: unknown) => LibsqlDb;
interface Config {
  mode: string;
  syncUrl?: string;
  authToken?: string;
  syncPeriodS?: number;
  localPath?: string;
  busyTimeoutMs?: number;
  reassertAfterMs?: number;
  driverDir: string;
  debug: boolean;
}
interface Preload {
  parseConfig(env: Env): Config;
  driverOptions(config: Config): Record<string, unknown>;
  resolveTarget(config: Config, filename: unknown): string;
  normalizeRemoteError<T>(err: T): T;
  foreignKeysAssignment(sql: string): boolean | undefined;
  transactionBoundary(sql: string): boolean | undefined;
  createDatabaseClass(base: DbClass, config: Config, hooks?: { now?: () => number; log?: (m: string) => void }): DbClass;
  REMOTE_REFUSAL: string;
  SQLD_PROXY_IDLE_GC_MS: number;
  DEFAULT_REASSERT_AFTER_MS: number;
}

const preload = require(PRELOAD) as Preload;
const Libsql = require("libsql") as DbClass;

const REPLICA_ENV: Env = { LIBSQL_SYNC_URL: "http://127.0.0.1:8080", LIBSQL_AUTH_TOKEN: "jwt.token.sig" };

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ghost-preload-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("parseConfig", () => {
  it("defaults to replica mode and needs the sync URL", () => {
    expect(() => preload.parseConfig({})).toThrow(/LIBSQL_SYNC_URL is required in replica mode/);
  });

  it("reads a replica configuration with defaults", () => {
    const c = preload.parseConfig(REPLICA_ENV);
    expect(c.mode).toBe("replica");
    expect(c.syncUrl).toBe("http://127.0.0.1:8080");
    expect(c.authToken).toBe("jwt.token.sig");
    expect(c.syncPeriodS).toBe(60);
    expect(c.reassertAfterMs).toBeLessThan(preload.SQLD_PROXY_IDLE_GC_MS);
  });

  it("passes the replica settings to libsql with read-your-writes on", () => {
    const opts = preload.driverOptions(preload.parseConfig({ ...REPLICA_ENV, LIBSQL_SYNC_PERIOD_S: "5" }));
    expect(opts).toEqual({ syncUrl: "http://127.0.0.1:8080", authToken: "jwt.token.sig", syncPeriod: 5, readYourWrites: true });
  });

  it("reads the token from LIBSQL_AUTH_TOKEN_FILE, trimmed", () => {
    const f = join(dir, "token");
    writeFileSync(f, "  abc.def.ghi\n");
    const c = preload.parseConfig({ LIBSQL_SYNC_URL: "https://db.example:8080", LIBSQL_AUTH_TOKEN_FILE: f });
    expect(c.authToken).toBe("abc.def.ghi");
  });

  it("names the variable and the reason for each bad value", () => {
    const cases: Array<[Env, RegExp]> = [
      [{ LIBSQL_MODE: "cloud" }, /LIBSQL_MODE="cloud" is invalid/],
      [{ LIBSQL_SYNC_URL: "not a url", LIBSQL_AUTH_TOKEN: "t" }, /LIBSQL_SYNC_URL="not a url" is not a valid URL/],
      [{ LIBSQL_SYNC_URL: "ftp://x", LIBSQL_AUTH_TOKEN: "t" }, /LIBSQL_SYNC_URL="ftp:\/\/x" is invalid: the scheme/],
      [{ LIBSQL_SYNC_URL: "http://u:p@h:8080" , LIBSQL_AUTH_TOKEN: "t" }, /must not carry credentials/],
      [{ LIBSQL_SYNC_URL: "http://h:8080" }, /LIBSQL_AUTH_TOKEN or LIBSQL_AUTH_TOKEN_FILE is required/],
      [{ ...REPLICA_ENV, LIBSQL_AUTH_TOKEN_FILE: "/x" }, /set only one of LIBSQL_AUTH_TOKEN and LIBSQL_AUTH_TOKEN_FILE/],
      [{ LIBSQL_SYNC_URL: "http://h", LIBSQL_AUTH_TOKEN_FILE: "/nonexistent/token" }, /LIBSQL_AUTH_TOKEN_FILE="\/nonexistent\/token" cannot be read/],
      [{ ...REPLICA_ENV, LIBSQL_SYNC_PERIOD_S: "-1" }, /LIBSQL_SYNC_PERIOD_S="-1" is invalid/],
      [{ ...REPLICA_ENV, LIBSQL_LOCAL_PATH: "data/ghost.db" }, /LIBSQL_LOCAL_PATH="data\/ghost.db" is invalid: it must be an absolute path/],
      [{ LIBSQL_MODE: "file", LIBSQL_SYNC_URL: "http://h" }, /LIBSQL_SYNC_URL is set but LIBSQL_MODE=file/],
      [{ LIBSQL_MODE: "file", LIBSQL_BUSY_TIMEOUT_MS: "1.5" }, /LIBSQL_BUSY_TIMEOUT_MS="1.5" is invalid: expected an integer/],
    ];
    for (const [env, re] of cases) expect(() => preload.parseConfig(env), JSON.stringify(env)).toThrow(re);
  });

  it("refuses remote mode and explains the data-loss hazard", () => {
    expect(() => preload.parseConfig({ LIBSQL_MODE: "remote", ...REPLICA_ENV })).toThrow(preload.REMOTE_REFUSAL);
    expect(preload.REMOTE_REFUSAL).toMatch(/ON DELETE CASCADE deletes child rows/);
    expect(preload.REMOTE_REFUSAL).toMatch(/LIBSQL_MODE=replica/);
  });

  it("file mode takes no sync settings", () => {
    const c = preload.parseConfig({ LIBSQL_MODE: "file" });
    expect(c.mode).toBe("file");
    expect(preload.driverOptions(c)).toEqual({ timeout: 5 });
  });
});

describe("resolveTarget", () => {
  const replica = preload.parseConfig({ ...REPLICA_ENV, LIBSQL_LOCAL_PATH: "/var/lib/ghost/content/data/ghost.db" });

  it("opens the file Ghost names when it matches LIBSQL_LOCAL_PATH", () => {
    expect(preload.resolveTarget(replica, "/var/lib/ghost/content/data/ghost.db")).toBe("/var/lib/ghost/content/data/ghost.db");
  });

  it("rejects a path that differs from LIBSQL_LOCAL_PATH", () => {
    expect(() => preload.resolveTarget(replica, "/tmp/other.db")).toThrow(/differs from LIBSQL_LOCAL_PATH/);
  });

  it("rejects a URL, and the file path Ghost makes of one", () => {
    const file = preload.parseConfig({ LIBSQL_MODE: "file" });
    expect(() => preload.resolveTarget(file, "http://127.0.0.1:8080")).toThrow(/looks like a URL/);
    // Ghost resolves relative strings against its root: "http://h:8080" becomes ".../http:/h:8080".
    expect(() => preload.resolveTarget(file, "/var/lib/ghost/http:/127.0.0.1:8080")).toThrow(/LIBSQL_SYNC_URL/);
  });

  it("refuses an in-memory replica but allows one in file mode", () => {
    expect(() => preload.resolveTarget(preload.parseConfig(REPLICA_ENV), ":memory:")).toThrow(/cannot be an embedded replica/);
    expect(preload.resolveTarget(preload.parseConfig({ LIBSQL_MODE: "file" }), ":memory:")).toBe(":memory:");
  });
});

describe("normalizeRemoteError (errors of statements run on the primary)", () => {
  // libsql's Display for Error::RemoteSqliteFailure(code, extended_code, message);
  // libsql-js sets code "" on every error that is not a local SqliteFailure.
  const remote = (ext: number, msg: string) => Object.assign(new Error(`Remote SQlite failure: \`3:${ext}:${msg}\``), { code: "" });

  it("restores the extended code name, the raw code and the message", () => {
    const e = preload.normalizeRemoteError(remote(2067, "UNIQUE constraint failed: tags.slug")) as Error & { code: string; rawCode: number };
    expect(e.code).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect(e.rawCode).toBe(2067);
    expect(e.message).toBe("UNIQUE constraint failed: tags.slug");
  });

  it("falls back to the primary code for extended codes it does not name", () => {
    const e = preload.normalizeRemoteError(remote(19 | (99 << 8), "odd constraint")) as Error & { code: string };
    expect(e.code).toBe("SQLITE_CONSTRAINT");
  });

  it("leaves local errors and unrelated errors alone", () => {
    const local = Object.assign(new Error("UNIQUE constraint failed: t.id"), { code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    expect(preload.normalizeRemoteError(local).code).toBe("SQLITE_CONSTRAINT_PRIMARYKEY");
    const other = Object.assign(new Error("replication error: connection refused"), { code: "" });
    expect(preload.normalizeRemoteError(other).code).toBe("");
  });

  it("matches what a local libsql constraint failure reports", () => {
    const db = new Libsql(join(dir, "codes.db"));
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, slug TEXT UNIQUE)");
    db.prepare("INSERT INTO t (slug) VALUES ('a')").run();
    let local: (Error & { code?: string }) | undefined;
    try {
      db.prepare("INSERT INTO t (slug) VALUES ('a')").run();
    } catch (e) {
      local = e as Error & { code?: string };
    }
    db.close();
    const fixed = preload.normalizeRemoteError(remote(2067, "UNIQUE constraint failed: t.slug")) as Error & { code: string };
    expect(fixed.code).toBe(local?.code);
    expect(fixed.message).toBe(local?.message);
  });
});

describe("foreignKeysAssignment", () => {
  it("recognises the assignments knex and Ghost issue", () => {
    expect(preload.foreignKeysAssignment("PRAGMA foreign_keys = ON")).toBe(true);
    expect(preload.foreignKeysAssignment("pragma foreign_keys=off;")).toBe(false);
    expect(preload.foreignKeysAssignment("foreign_keys = ON")).toBe(true); // db.pragma('foreign_keys = ON')
    expect(preload.foreignKeysAssignment("PRAGMA foreign_keys = 0")).toBe(false);
    expect(preload.foreignKeysAssignment("PRAGMA foreign_keys")).toBeUndefined();
    expect(preload.foreignKeysAssignment("PRAGMA foreign_key_check")).toBeUndefined();
  });
});

describe("transactionBoundary", () => {
  it("follows BEGIN/COMMIT/ROLLBACK but not savepoint rollbacks", () => {
    expect(preload.transactionBoundary("BEGIN;")).toBe(true);
    expect(preload.transactionBoundary("begin immediate")).toBe(true);
    expect(preload.transactionBoundary("COMMIT;")).toBe(false);
    expect(preload.transactionBoundary("END TRANSACTION")).toBe(false);
    expect(preload.transactionBoundary("ROLLBACK")).toBe(false);
    expect(preload.transactionBoundary("ROLLBACK TO SAVEPOINT trx2")).toBeUndefined();
    expect(preload.transactionBoundary("ROLLBACK TRANSACTION TO trx2")).toBeUndefined();
    expect(preload.transactionBoundary("SELECT 1")).toBeUndefined();
  });
});

describe("the better-sqlite3 stand-in on a real libsql file", () => {
  // A base class that opens the local file only: the replica wrapper's logic
  // runs for real, without a sqld to sync from.
  class LocalOnly extends Libsql {
    constructor(path: string) {
      super(path);
    }
  }

  function schema(db: LibsqlDb): void {
    db.pragma("foreign_keys = ON"); // what Ghost's knex afterCreate does
    db.exec("CREATE TABLE posts (id TEXT PRIMARY KEY)");
    db.exec("CREATE TABLE posts_tags (id INTEGER PRIMARY KEY, post_id TEXT REFERENCES posts(id) ON DELETE CASCADE)");
    db.prepare("INSERT INTO posts VALUES ('p1')").run();
    db.prepare("INSERT INTO posts_tags (post_id) VALUES ('p1'), ('p1')").run();
  }

  /** sqld dropped the idle proxied connection: the fresh one has foreign keys off. */
  function loseConnectionState(db: LibsqlDb): void {
    (Libsql.prototype.exec as (this: LibsqlDb, sql: string) => void).call(db, "PRAGMA foreign_keys = OFF");
  }

  function childrenAfterIdleDelete(idleMs: number): number {
    let clock = 1_000_000;
    const config = preload.parseConfig({ ...REPLICA_ENV, LIBSQL_LOCAL_PATH: join(dir, "ghost.db") });
    const Db = preload.createDatabaseClass(LocalOnly, config, { now: () => clock, log: () => {} });
    const db = new Db(join(dir, "ghost.db"));
    try {
      schema(db);
      loseConnectionState(db);
      clock += idleMs;
      db.prepare("DELETE FROM posts WHERE id = ?").run("p1");
      return Number(db.prepare("SELECT count(*) AS n FROM posts_tags").get()?.n);
    } finally {
      db.close();
    }
  }

  it("re-applies foreign_keys after an idle gap, so ON DELETE CASCADE still runs", () => {
    expect(childrenAfterIdleDelete(preload.DEFAULT_REASSERT_AFTER_MS + 5_000)).toBe(0);
  });

  it("control: without the idle gap the lost state shows (children orphaned)", () => {
    expect(childrenAfterIdleDelete(1_000)).toBe(2);
  });

  it("does not re-apply while a transaction is open, even when the local connection does not know of it", () => {
    // In replica mode BEGIN runs on sqld; locally inTransaction stays false.
    class NoLocalTxn extends LocalOnly {
      override prepare(sql: string): LibsqlStatement {
        return super.prepare(/^\s*(BEGIN|COMMIT)\b/i.test(sql) ? "SELECT 1" : sql);
      }
    }
    let clock = 0;
    const logs: string[] = [];
    const config = preload.parseConfig({ ...REPLICA_ENV, LIBSQL_PRELOAD_DEBUG: "1" });
    const Db = preload.createDatabaseClass(NoLocalTxn, config, { now: () => clock, log: (m) => logs.push(m) });
    const db = new Db(join(dir, "tx2.db"));
    schema(db);
    db.prepare("BEGIN;").run();
    clock += 60_000;
    db.prepare("SELECT 1").get();
    db.prepare("COMMIT;").run();
    clock += 60_000;
    db.prepare("SELECT 1").get();
    db.close();
    expect(logs.filter((l) => l.includes("re-applying"))).toEqual(["idle 60000 ms: re-applying PRAGMA foreign_keys = ON"]);
  });

  it("never touches foreign_keys inside a transaction", () => {
    let clock = 0;
    const logs: string[] = [];
    const config = preload.parseConfig({ ...REPLICA_ENV, LIBSQL_PRELOAD_DEBUG: "1" });
    const Db = preload.createDatabaseClass(LocalOnly, config, { now: () => clock, log: (m) => logs.push(m) });
    const db = new Db(join(dir, "tx.db"));
    schema(db);
    db.exec("BEGIN");
    clock += 60_000;
    db.prepare("SELECT 1").get();
    db.exec("COMMIT");
    db.close();
    expect(logs.filter((l) => l.includes("re-applying"))).toEqual([]);
  });

  it("refuses a second replica on the same file while the first is open", () => {
    const config = preload.parseConfig(REPLICA_ENV);
    const Db = preload.createDatabaseClass(LocalOnly, config, { log: () => {} });
    const a = new Db(join(dir, "one.db"));
    expect(() => new Db(join(dir, "one.db"))).toThrow(/already open as an embedded replica/);
    a.close();
    const b = new Db(join(dir, "one.db"));
    b.close();
  });

  it("file mode: knex's calls work and foreign keys cascade", () => {
    const Db = preload.createDatabaseClass(Libsql, preload.parseConfig({ LIBSQL_MODE: "file" }));
    const db = new Db(join(dir, "file.db"), { nativeBinding: undefined, readonly: false });
    schema(db);
    db.prepare("DELETE FROM posts WHERE id = ?").run("p1");
    expect(db.prepare("SELECT count(*) AS n FROM posts_tags").get()?.n).toBe(0);
    expect(db.name).toBe(join(dir, "file.db"));
    db.close();
  });
});

describe("loaded through --require (as NODE_OPTIONS does in the image)", () => {
  const node = (env: Env, code: string) =>
    spawnSync(process.execPath, ["--require", PRELOAD, "-e", code], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, ...env },
    });

  it("redirects require('better-sqlite3') to libsql", () => {
    const r = node(
      { LIBSQL_MODE: "file", LIBSQL_DRIVER_DIR: resolve(import.meta.dirname, "../..") },
      [
        "const D = require('better-sqlite3');",
        "const db = new D(':memory:');",
        "console.log(D.prototype instanceof require('libsql'), db.prepare('select sqlite_version() v').get().v);",
      ].join(""),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toMatch(/^true 3\.\d+\.\d+$/);
  });

  it("installs when loaded through a symlink too (no silent fallback to better-sqlite3)", () => {
    const link = join(dir, "preload-link.cjs");
    symlinkSync(PRELOAD, link);
    const r = spawnSync(process.execPath, ["-e", "console.log(require('better-sqlite3').prototype instanceof require('libsql'))"], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS: `--require=${link}`,
        NODE_PATH: resolve(import.meta.dirname, "../../node_modules"),
        LIBSQL_MODE: "file",
        LIBSQL_DRIVER_DIR: resolve(import.meta.dirname, "../.."),
      },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("true");
  });

  it("stops the process with the refusal when LIBSQL_MODE=remote", () => {
    const r = node({ LIBSQL_MODE: "remote", ...REPLICA_ENV }, "console.log('started')");
    expect(r.status).toBe(78);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("LIBSQL_MODE=remote is refused");
  });

  it("stops the process naming the missing variable", () => {
    const r = node({}, "console.log('started')");
    expect(r.status).toBe(78);
    expect(r.stderr).toContain("LIBSQL_SYNC_URL is required");
  });

  it("reports a replica that cannot reach sqld, telling to start sqld first", () => {
    const r = node(
      { ...REPLICA_ENV, LIBSQL_SYNC_URL: "http://127.0.0.1:9", LIBSQL_DRIVER_DIR: resolve(import.meta.dirname, "../..") },
      `const D = require('better-sqlite3'); try { new D(${JSON.stringify(join(dir, "r.db"))}); console.log('opened'); } catch (e) { console.log(e.message); }`,
    );
    expect(r.stdout).toMatch(/cannot open embedded replica .* synced from http:\/\/127\.0\.0\.1:9: .*sqld must be up/s);
  });
});
