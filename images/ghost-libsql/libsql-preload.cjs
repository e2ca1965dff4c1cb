'use strict';
/**
 * ghost-libsql preload: runs Ghost 6 on the libSQL engine without changing
 * Ghost's source. Loaded with NODE_OPTIONS="--require /opt/ghost-libsql/libsql-preload.cjs".
 *
 * What it does
 *   1. Every `require('better-sqlite3')` in the process (knex's better-sqlite3
 *      dialect, knex-migrator) receives a better-sqlite3-compatible class built on
 *      the npm `libsql` driver instead. Ghost's installed better-sqlite3 is never
 *      loaded and no file of Ghost's is changed.
 *   2. The class opens the file Ghost asks for (database__connection__filename)
 *      and adds the libSQL connection settings from this module's own
 *      environment variables, because Ghost turns any URL in its database
 *      filename into a file path.
 *   3. In replica mode it repairs two behaviours of write delegation that Ghost
 *      depends on (see README.md, "Replica mode: what the preload fixes"):
 *      - errors of statements executed on the primary arrive with an empty
 *        `code`; they are given back their SQLite code so Ghost's
 *        SQLITE_CONSTRAINT handling still matches;
 *      - sqld drops an idle proxied connection after 30 s and silently opens a
 *        fresh one, losing `PRAGMA foreign_keys`; the last value Ghost set is
 *        re-applied before the first statement after an idle gap.
 *
 * Environment (all read once, at load; a bad value stops Ghost with a message
 * naming the variable):
 *   LIBSQL_MODE              replica (default) | file | remote (refused, see README)
 *   LIBSQL_SYNC_URL          replica: sqld's URL, http(s):// or libsql://, e.g. http://127.0.0.1:8080
 *   LIBSQL_AUTH_TOKEN        replica: JWT for sqld ...
 *   LIBSQL_AUTH_TOKEN_FILE     ... or a file holding it (exactly one of the two)
 *   LIBSQL_SYNC_PERIOD_S     replica: background pull period in seconds (default 60; 0 = off)
 *   LIBSQL_LOCAL_PATH        optional: absolute path of the local database file; when
 *                            set, Ghost's database filename must be this path
 *   LIBSQL_BUSY_TIMEOUT_MS   file: SQLite busy timeout (default 5000)
 *   LIBSQL_DRIVER_DIR        directory to resolve the `libsql` package from
 *                            (default: this file's directory)
 *   LIBSQL_PRELOAD_DEBUG     1: log opens/closes and pragma re-application to stderr
 */

const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

const MODES = ['replica', 'file', 'remote'];
/** sqld's proxy garbage-collects a client idle for 30 s (libsql-server/src/rpc/proxy.rs). */
const SQLD_PROXY_IDLE_GC_MS = 30_000;
/** Re-apply connection state after this much idle time: well inside the 30 s window. */
const DEFAULT_REASSERT_AFTER_MS = 20_000;

const REMOTE_REFUSAL =
  'LIBSQL_MODE=remote is refused: Ghost on libSQL over HTTP (Hrana) can lose data. ' +
  'An autocommit write closes the stream, so connection state such as "PRAGMA foreign_keys = OFF" ' +
  'is gone before the next statement; during a knex table rebuild (a Ghost migration) the parent ' +
  'table is then dropped with foreign keys on and ON DELETE CASCADE deletes child rows. sqld also ' +
  'expires idle streams after 10 s (the connection fails from then on) and remote errors carry an ' +
  'empty code. Use LIBSQL_MODE=replica (local file + LIBSQL_SYNC_URL): reads are local and writes go ' +
  'to sqld over one persistent connection. See images/ghost-libsql/README.md.';

class PreloadConfigError extends Error {
  constructor(message) {
    super(`ghost-libsql preload: ${message}`);
    this.name = 'PreloadConfigError';
  }
}

function nonEmpty(env, name) {
  const v = env[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function parseNumber(env, name, fallback, { min, integer }) {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new PreloadConfigError(
      `${name}=${JSON.stringify(raw)} is invalid: expected ${integer ? 'an integer' : 'a number'} >= ${min}`,
    );
  }
  return n;
}

/**
 * Reads and checks the preload's environment. Pure apart from reading
 * LIBSQL_AUTH_TOKEN_FILE. Throws PreloadConfigError naming the variable.
 * @param {Record<string, string | undefined>} env
 */
function parseConfig(env) {
  const modeRaw = nonEmpty(env, 'LIBSQL_MODE') ?? 'replica';
  const mode = modeRaw.toLowerCase();
  if (!MODES.includes(mode)) {
    throw new PreloadConfigError(
      `LIBSQL_MODE=${JSON.stringify(modeRaw)} is invalid: expected one of replica (default), file`,
    );
  }
  if (mode === 'remote') throw new PreloadConfigError(REMOTE_REFUSAL);

  const localPath = nonEmpty(env, 'LIBSQL_LOCAL_PATH');
  if (localPath !== undefined && !path.isAbsolute(localPath)) {
    throw new PreloadConfigError(`LIBSQL_LOCAL_PATH=${JSON.stringify(localPath)} is invalid: it must be an absolute path`);
  }
  const driverDir = nonEmpty(env, 'LIBSQL_DRIVER_DIR') ?? __dirname;
  const debug = nonEmpty(env, 'LIBSQL_PRELOAD_DEBUG') === '1';

  if (mode === 'file') {
    for (const name of ['LIBSQL_SYNC_URL', 'LIBSQL_AUTH_TOKEN', 'LIBSQL_AUTH_TOKEN_FILE']) {
      if (nonEmpty(env, name) !== undefined) {
        throw new PreloadConfigError(
          `${name} is set but LIBSQL_MODE=file uses only the local file; set LIBSQL_MODE=replica to sync with sqld`,
        );
      }
    }
    const busyTimeoutMs = parseNumber(env, 'LIBSQL_BUSY_TIMEOUT_MS', 5000, { min: 0, integer: true });
    return { mode, localPath, driverDir, debug, busyTimeoutMs };
  }

  // replica
  const syncUrl = nonEmpty(env, 'LIBSQL_SYNC_URL');
  if (syncUrl === undefined) {
    throw new PreloadConfigError(
      'LIBSQL_SYNC_URL is required in replica mode (the default): the URL of sqld, e.g. http://127.0.0.1:8080',
    );
  }
  let parsed;
  try {
    parsed = new URL(syncUrl);
  } catch {
    throw new PreloadConfigError(`LIBSQL_SYNC_URL=${JSON.stringify(syncUrl)} is not a valid URL`);
  }
  if (!['http:', 'https:', 'libsql:'].includes(parsed.protocol)) {
    throw new PreloadConfigError(
      `LIBSQL_SYNC_URL=${JSON.stringify(syncUrl)} is invalid: the scheme must be http, https or libsql`,
    );
  }
  if (parsed.username || parsed.password || parsed.searchParams.has('authToken')) {
    throw new PreloadConfigError(
      'LIBSQL_SYNC_URL must not carry credentials; put the token in LIBSQL_AUTH_TOKEN or LIBSQL_AUTH_TOKEN_FILE',
    );
  }
  const tokenInline = nonEmpty(env, 'LIBSQL_AUTH_TOKEN');
  const tokenFile = nonEmpty(env, 'LIBSQL_AUTH_TOKEN_FILE');
  if (tokenInline !== undefined && tokenFile !== undefined) {
    throw new PreloadConfigError('set only one of LIBSQL_AUTH_TOKEN and LIBSQL_AUTH_TOKEN_FILE');
  }
  let authToken = tokenInline;
  if (tokenFile !== undefined) {
    try {
      authToken = fs.readFileSync(tokenFile, 'utf8').trim();
    } catch (e) {
      throw new PreloadConfigError(`LIBSQL_AUTH_TOKEN_FILE=${JSON.stringify(tokenFile)} cannot be read: ${e.message}`);
    }
    if (authToken === '') throw new PreloadConfigError(`LIBSQL_AUTH_TOKEN_FILE=${JSON.stringify(tokenFile)} is empty`);
  }
  if (authToken === undefined) {
    throw new PreloadConfigError(
      'LIBSQL_AUTH_TOKEN or LIBSQL_AUTH_TOKEN_FILE is required in replica mode: sqld is run with --auth-jwt-key-file',
    );
  }
  const syncPeriodS = parseNumber(env, 'LIBSQL_SYNC_PERIOD_S', 60, { min: 0, integer: false });
  return {
    mode,
    localPath,
    driverDir,
    debug,
    syncUrl,
    authToken,
    syncPeriodS,
    reassertAfterMs: DEFAULT_REASSERT_AFTER_MS,
  };
}

/** Options for libsql's `new Database(path, opts)` in each mode. */
function driverOptions(config) {
  if (config.mode === 'file') return { timeout: config.busyTimeoutMs / 1000 };
  return {
    syncUrl: config.syncUrl,
    authToken: config.authToken,
    syncPeriod: config.syncPeriodS,
    // After a delegated write, wait until the local replica has that frame, so
    // Ghost reads what it just wrote (libsql's default; pinned here on purpose).
    readYourWrites: true,
  };
}

/** The file the driver opens: Ghost's filename, checked against LIBSQL_LOCAL_PATH. */
function resolveTarget(config, filename) {
  if (typeof filename !== 'string' || filename === '') {
    throw new PreloadConfigError(`Ghost passed no database filename (got ${JSON.stringify(filename)})`);
  }
  if (filename === ':memory:') {
    if (config.mode === 'replica') {
      throw new PreloadConfigError('":memory:" cannot be an embedded replica; set database__connection__filename to a file');
    }
    return filename;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(filename) || /\/(https?|libsql):\/?/i.test(filename)) {
    throw new PreloadConfigError(
      `the database filename ${JSON.stringify(filename)} looks like a URL. Ghost makes it a file path; ` +
        'put the URL in LIBSQL_SYNC_URL and a local file path in database__connection__filename',
    );
  }
  const target = path.resolve(filename);
  if (config.localPath !== undefined && path.resolve(config.localPath) !== target) {
    throw new PreloadConfigError(
      `Ghost's database filename ${JSON.stringify(target)} differs from LIBSQL_LOCAL_PATH=${JSON.stringify(config.localPath)}; ` +
        'set database__connection__filename to the same path',
    );
  }
  return target;
}

/**
 * SQLite result-code names by number (primary codes and the extended codes
 * Ghost can meet on writes). Used to rebuild `code` on errors of delegated
 * statements; unknown extended codes fall back to their primary code.
 */
const SQLITE_CODES = {
  1: 'SQLITE_ERROR', 2: 'SQLITE_INTERNAL', 3: 'SQLITE_PERM', 4: 'SQLITE_ABORT', 5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED', 7: 'SQLITE_NOMEM', 8: 'SQLITE_READONLY', 9: 'SQLITE_INTERRUPT', 10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT', 12: 'SQLITE_NOTFOUND', 13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN', 15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY', 17: 'SQLITE_SCHEMA', 18: 'SQLITE_TOOBIG', 19: 'SQLITE_CONSTRAINT', 20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE', 22: 'SQLITE_NOLFS', 23: 'SQLITE_AUTH', 24: 'SQLITE_FORMAT', 25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
  261: 'SQLITE_BUSY_RECOVERY', 517: 'SQLITE_BUSY_SNAPSHOT', 262: 'SQLITE_LOCKED_SHAREDCACHE',
  275: 'SQLITE_CONSTRAINT_CHECK', 531: 'SQLITE_CONSTRAINT_COMMITHOOK', 787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1043: 'SQLITE_CONSTRAINT_FUNCTION', 1299: 'SQLITE_CONSTRAINT_NOTNULL', 1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  1811: 'SQLITE_CONSTRAINT_TRIGGER', 2067: 'SQLITE_CONSTRAINT_UNIQUE', 2323: 'SQLITE_CONSTRAINT_VTAB',
  2579: 'SQLITE_CONSTRAINT_ROWID',
};

// libsql's Display for Error::RemoteSqliteFailure(code, extended_code, message).
const REMOTE_FAILURE = /Remote SQlite failure: `(-?\d+):(-?\d+):([\s\S]*)`/;

/**
 * Gives an error of a statement executed on the primary its SQLite code back.
 * libsql-js sets `code` only for local failures; a delegated statement's failure
 * arrives as `code: ""` with the codes inside the message. Returns the same error
 * object (mutated) so stack traces stay intact. Other errors are left alone.
 * @param {unknown} err
 */
function normalizeRemoteError(err) {
  if (!(err instanceof Error)) return err;
  const e = /** @type {Error & {code?: unknown, rawCode?: unknown}} */ (err);
  if (typeof e.code === 'string' && e.code !== '') return err;
  const m = REMOTE_FAILURE.exec(e.message);
  if (!m) return err;
  const extended = Number(m[2]);
  const name = SQLITE_CODES[extended] ?? SQLITE_CODES[extended & 0xff];
  if (name === undefined) return err;
  e.code = name;
  e.rawCode = extended;
  e.message = m[3];
  return err;
}

/** `PRAGMA foreign_keys = X` (any spacing/case/quotes) → true/false; otherwise undefined. */
function foreignKeysAssignment(sql) {
  const m = /^\s*(?:PRAGMA\s+)?(?:main\.)?foreign_keys\s*=\s*['"]?(\w+)['"]?\s*;?\s*$/i.exec(String(sql));
  if (!m) return undefined;
  const v = m[1].toLowerCase();
  if (['1', 'on', 'true', 'yes'].includes(v)) return true;
  if (['0', 'off', 'false', 'no'].includes(v)) return false;
  return undefined;
}

/** BEGIN → true, COMMIT/END/ROLLBACK (not ROLLBACK TO) → false, otherwise undefined. */
function transactionBoundary(sql) {
  const text = String(sql);
  if (/^\s*BEGIN\b/i.test(text)) return true;
  if (/^\s*(COMMIT|END)\b/i.test(text)) return false;
  if (/^\s*ROLLBACK\b/i.test(text) && !/^\s*ROLLBACK\s+(TRANSACTION\s+)?TO\b/i.test(text)) return false;
  return undefined;
}

let openCount = 0;
/** Replica files open in this process: two embedded replicas on one file would both apply frames to it. */
const openReplicaPaths = new Set();

/**
 * Builds the better-sqlite3 stand-in class over a libsql Database class.
 * @param {any} Libsql libsql's Database class
 * @param {ReturnType<typeof parseConfig>} config
 * @param {{ now?: () => number, log?: (msg: string) => void }} [hooks] test seams
 */
function createDatabaseClass(Libsql, config, hooks = {}) {
  const now = hooks.now ?? Date.now;
  const log = hooks.log ?? ((msg) => process.stderr.write(`[ghost-libsql] ${msg}\n`));
  const replica = config.mode === 'replica';

  function guard(fn) {
    try {
      return fn();
    } catch (err) {
      throw replica ? normalizeRemoteError(err) : err;
    }
  }

  class GhostLibsqlDatabase extends Libsql {
    constructor(filename, _betterSqliteOptions) {
      // knex passes { nativeBinding, readonly }: neither applies to libsql.
      const target = resolveTarget(config, filename);
      if (replica) {
        if (openReplicaPaths.has(target)) {
          throw new Error(
            `ghost-libsql preload: ${target} is already open as an embedded replica in this process; ` +
              'a second replica on the same file would apply the same frames twice. Ghost uses one connection ' +
              '(knex pool max 1); close the first before opening another.',
          );
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
      }
      try {
        super(target, driverOptions(config));
      } catch (err) {
        if (replica) {
          const why = err instanceof Error ? err.message : String(err);
          throw new Error(
            `ghost-libsql preload: cannot open embedded replica ${target} synced from ${config.syncUrl}: ${why}. ` +
              'sqld must be up (GET /health) before Ghost starts.',
          );
        }
        throw err;
      }
      this.name = target;
      if (replica) openReplicaPaths.add(target);
      /** Last foreign_keys value Ghost set on this connection (undefined: never set). */
      this.__fk = undefined;
      this.__lastUse = now();
      openCount += 1;
      if (config.debug) log(`open #${openCount} ${config.mode} ${target}`);
    }

    /** Before a statement: re-apply foreign_keys after an idle gap (replica only). */
    __beforeStatement(sql) {
      const t = now();
      const idle = t - this.__lastUse;
      this.__lastUse = t;
      const assigning = foreignKeysAssignment(sql);
      if (assigning !== undefined) {
        this.__fk = assigning;
        return;
      }
      // In replica mode BEGIN runs on the primary, so the local connection's
      // inTransaction stays false: follow the statements as well.
      const wasInTxn = this.__txn === true || this.inTransaction;
      const boundary = transactionBoundary(sql);
      if (boundary !== undefined) this.__txn = boundary;
      if (!replica || this.__fk === undefined || idle < config.reassertAfterMs || wasInTxn) return;
      if (config.debug) log(`idle ${idle} ms: re-applying PRAGMA foreign_keys = ${this.__fk ? 'ON' : 'OFF'}`);
      guard(() => super.exec(`PRAGMA foreign_keys = ${this.__fk ? 'ON' : 'OFF'}`));
    }

    prepare(sql) {
      this.__beforeStatement(sql);
      const stmt = guard(() => super.prepare(sql));
      if (!replica) return stmt;
      // Statement errors surface on run/get/all/iterate: normalise those too.
      for (const method of ['run', 'get', 'all', 'iterate']) {
        const original = stmt[method];
        if (typeof original !== 'function') continue;
        stmt[method] = (...args) => guard(() => original.apply(stmt, args));
      }
      return stmt;
    }

    exec(sql) {
      this.__beforeStatement(sql);
      return guard(() => super.exec(sql));
    }

    close() {
      if (replica) openReplicaPaths.delete(this.name);
      openCount = Math.max(0, openCount - 1);
      if (config.debug) log(`close ${this.name} (${openCount} open)`);
      return super.close();
    }
  }
  return GhostLibsqlDatabase;
}

function loadLibsql(driverDir) {
  let resolved;
  try {
    resolved = require.resolve('libsql', { paths: [driverDir] });
  } catch (e) {
    throw new PreloadConfigError(
      `cannot find the libsql package from ${driverDir} (LIBSQL_DRIVER_DIR): ${e.message}`,
    );
  }
  return require(resolved);
}

/** Redirects require('better-sqlite3') to `Replacement` for the whole process. */
function installResolverHook(Replacement) {
  const originalLoad = Module._load;
  Module._load = function ghostLibsqlLoad(request, parent, isMain) {
    if (request === 'better-sqlite3') return Replacement;
    return originalLoad.call(this, request, parent, isMain);
  };
}

function install(env = process.env) {
  const config = parseConfig(env);
  const Libsql = loadLibsql(config.driverDir);
  const Replacement = createDatabaseClass(Libsql, config);
  installResolverHook(Replacement);
  if (config.debug) {
    process.stderr.write(`[ghost-libsql] mode=${config.mode} driver=${require.resolve('libsql', { paths: [config.driverDir] })}\n`);
  }
  return { config, Replacement };
}

module.exports = {
  parseConfig,
  driverOptions,
  resolveTarget,
  normalizeRemoteError,
  foreignKeysAssignment,
  transactionBoundary,
  createDatabaseClass,
  install,
  PreloadConfigError,
  REMOTE_REFUSAL,
  SQLD_PROXY_IDLE_GC_MS,
  DEFAULT_REASSERT_AFTER_MS,
};

// Loaded through --require (NODE_OPTIONS): install. Loaded with require() from
// a test: only export the pieces.
if (isPreloaded()) {
  try {
    install();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(78); // EX_CONFIG
  }
}

/**
 * True when Node loaded this file as a preload module (--require / -r, also
 * from NODE_OPTIONS): Node gives preloads the parent "internal/preload". The
 * argument check covers runtimes that do not set that parent.
 */
function isPreloaded() {
  // module.parent is deprecated but still set, and is the one direct signal.
  if (module.parent && module.parent.id === 'internal/preload') return true;
  if (module.parent) return false;
  const self = fs.realpathSync(__filename);
  const args = [...process.execArgv, ...splitNodeOptions(process.env.NODE_OPTIONS ?? '')];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i];
    let value;
    if (a === '--require' || a === '-r') value = args[i + 1];
    else if (a.startsWith('--require=')) value = a.slice('--require='.length);
    if (value !== undefined && fs.existsSync(value) && fs.realpathSync(value) === self) return true;
  }
  return false;
}

function splitNodeOptions(s) {
  return s.match(/(?:[^\s"]+|"[^"]*")+/g)?.map((x) => x.replace(/"/g, '')) ?? [];
}
