/**
 * Starts and stops a real Ghost (Node 22, the cached install) with the image's
 * preload module on the libsql driver, and measures it. Shared by the
 * integration test (test/ghost/run.ts) and the benchmark (scripts/bench-ghost.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import {
  DEFAULT_HEAP_MB,
  GHOST_PROBE_PATH,
  PRELOAD_MODULE_PATH,
  ghostEnvironment,
  ghostNodeOptions,
  type LibsqlMode,
} from "../../infra/ghost/contract.ts";
import { PRELOAD_PATH, type GhostInstall } from "./install-ghost.ts";

export type DbMode = LibsqlMode;

export interface GhostOptions {
  install: GhostInstall;
  /** Working directory for this site: content/, content/data/ghost.db, ghost.log. */
  siteDir: string;
  port: number;
  mode: DbMode;
  /** replica mode: sqld URL and JWT. */
  sqldUrl?: string;
  sqldToken?: string;
  /** V8 old-space limit in MiB; undefined = the contract's DEFAULT_HEAP_MB, null = no limit (V8 default). */
  heapMb?: number | null;
  /** V8 semi-space limit in MiB; undefined = the contract's SEMI_SPACE_MB, null = V8's default. */
  semiSpaceMb?: number | null;
  /** Extra Node flags after the image's, for experiments. */
  nodeFlags?: string[];
  /** Extra Ghost config env (e.g. memory-saving settings being measured). */
  extraEnv?: Record<string, string>;
}

export interface RunningGhost {
  proc: ChildProcess;
  pid: number;
  url: string;
  logPath: string;
  /** Milliseconds from spawn until /ghost/api/admin/site/ answered 200. */
  readyMs: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export function dbPath(siteDir: string): string {
  return join(siteDir, "content", "data", "ghost.db");
}

/**
 * NODE_OPTIONS as the image sets them (infra/ghost/contract.ts), with the preload
 * path pointing at this checkout's copy of the same file. heapMb null: no limit.
 */
export function imageNodeOptions(
  heapMb: number | null | undefined,
  extraFlags: string[] = [],
  semiSpaceMb?: number | null,
): string {
  let flags = ghostNodeOptions(heapMb ?? DEFAULT_HEAP_MB).replace(PRELOAD_MODULE_PATH, PRELOAD_PATH);
  // null: V8's default for that limit (the benchmark's baselines).
  if (heapMb === null) flags = flags.replace(/\s*--max-old-space-size=\d+/, "");
  if (semiSpaceMb === null) flags = flags.replace(/\s*--max-semi-space-size=\d+/, "");
  else if (semiSpaceMb !== undefined) flags = flags.replace(/--max-semi-space-size=\d+/, `--max-semi-space-size=${semiSpaceMb}`);
  return [flags, ...extraFlags].join(" ");
}

/**
 * Ghost's environment: the contract's (what CreatorSite sets in the pod), with
 * the paths, host and token of this local run, plus test-only settings.
 */
export function ghostEnv(opts: GhostOptions): NodeJS.ProcessEnv {
  const contentPath = join(opts.siteDir, "content");
  const url = `http://127.0.0.1:${opts.port}`;
  const contract = ghostEnvironment({
    url,
    mode: opts.mode,
    sqldUrl: opts.sqldUrl ?? "http://127.0.0.1:8080",
    tokenSecretName: "unused",
    tokenSecretKey: "unused",
    heapMb: opts.heapMb ?? DEFAULT_HEAP_MB,
    localDbPath: dbPath(opts.siteDir),
    contentPath,
  });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const e of contract) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.name === "LIBSQL_AUTH_TOKEN") env[e.name] = opts.sqldToken;
    else throw new Error(`test harness: no local value for ${e.name} (from a secret in the pod)`);
  }
  if (opts.mode === "replica" && (!opts.sqldUrl || !opts.sqldToken)) throw new Error("replica mode needs sqldUrl and sqldToken");
  Object.assign(env, {
    NODE_OPTIONS: imageNodeOptions(opts.heapMb, opts.nodeFlags, opts.semiSpaceMb),
    server__host: "127.0.0.1",
    server__port: String(opts.port),
    // The driver the image pins, installed the way the image installs it.
    LIBSQL_DRIVER_DIR: opts.install.libsqlDir,
    logging__level: "info",
    // Test-only: no mail server here; the API login would otherwise need an emailed code.
    mail__transport: "stub",
    mail__from: "ghost@example.com",
    security__staffDeviceVerification: "false",
    privacy__useGravatar: "false",
    ...opts.extraEnv,
  });
  return env;
}

/** Copies Ghost's bundled content (themes) into the site's content path, as the image's entrypoint does. */
export function prepareSite(install: GhostInstall, siteDir: string): void {
  const content = join(siteDir, "content");
  for (const d of ["data", "images", "logs", "settings", "public", "files", "media"]) {
    mkdirSync(join(content, d), { recursive: true });
  }
  if (!existsSync(join(content, "themes", "source"))) {
    cpSync(join(install.ghostDir, "content", "themes"), join(content, "themes"), { recursive: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitReady(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`Ghost exited before it was ready (code ${String(proc.exitCode)}, signal ${String(proc.signalCode)})`);
    }
    try {
      const res = await fetch(`${url}${GHOST_PROBE_PATH}`, {
        headers: { "X-Forwarded-Proto": "https" },
        redirect: "manual",
        signal: AbortSignal.timeout(2000),
      });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(100);
  }
  throw new Error(`Ghost not ready after ${timeoutMs} ms (last probe: ${last})`);
}

export async function startGhost(opts: GhostOptions, timeoutMs = 180_000): Promise<RunningGhost> {
  prepareSite(opts.install, opts.siteDir);
  const logPath = join(opts.siteDir, "ghost.log");
  const log: WriteStream = createWriteStream(logPath, { flags: "a" });
  log.write(`\n===== start ${new Date().toISOString()} mode=${opts.mode} heap=${String(opts.heapMb)} =====\n`);
  const t0 = performance.now();
  const proc = spawn(opts.install.node, ["index.js"], {
    cwd: opts.install.ghostDir,
    env: ghostEnv(opts),
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.pipe(log, { end: false });
  proc.stderr?.pipe(log, { end: false });
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((r) => log.end(() => r()));
  };
  try {
    await waitReady(url, proc, timeoutMs);
  } catch (e) {
    await stop();
    throw e;
  }
  return { proc, pid: proc.pid ?? -1, url, logPath, readyMs: performance.now() - t0, stop };
}

/** VmRSS and VmHWM of a process, in MiB (Linux /proc). */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m?.[1]) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(m[1]) / 1024;
  };
  return { rssMiB: kb("VmRSS"), hwmMiB: kb("VmHWM") };
}

export function tailFile(path: string, lines = 150): string {
  if (!existsSync(path)) return `(no log at ${path})`;
  return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
}

// ---------------------------------------------------------------- Admin API

export interface AdminSession {
  cookie: string;
  origin: string;
}

async function json(res: Response, what: string, expect: number[]): Promise<unknown> {
  const text = await res.text();
  if (!expect.includes(res.status)) {
    throw new Error(`${what}: HTTP ${res.status} (expected ${expect.join("/")}): ${text.slice(0, 600)}`);
  }
  if (!text || !(res.headers.get("content-type") ?? "").includes("json")) return {};
  return JSON.parse(text) as unknown;
}

export const OWNER = { name: "Test Owner", email: "owner@example.com", password: "Correct-Horse-Battery-9", blogTitle: "libSQL test blog" };

export async function setupOwner(url: string): Promise<number> {
  const res = await fetch(`${url}/ghost/api/admin/authentication/setup/`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: url },
    body: JSON.stringify({ setup: [OWNER] }),
  });
  await json(res, "owner setup (POST /ghost/api/admin/authentication/setup/)", [201]);
  return res.status;
}

export async function login(url: string): Promise<AdminSession> {
  const res = await fetch(`${url}/ghost/api/admin/session/`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: url },
    body: JSON.stringify({ username: OWNER.email, password: OWNER.password }),
  });
  await json(res, "login (POST /ghost/api/admin/session/)", [201]);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  if (!cookie.includes("ghost-admin-api-session")) throw new Error(`login: no session cookie in ${cookie || "(none)"}`);
  return { cookie, origin: url };
}

export async function admin(
  s: AdminSession,
  method: string,
  path: string,
  body: unknown,
  expect: number[],
): Promise<Record<string, unknown>> {
  const res = await fetch(`${s.origin}/ghost/api/admin/${path}`, {
    method,
    headers: { "Content-Type": "application/json", Origin: s.origin, Cookie: s.cookie },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await json(res, `${method} /ghost/api/admin/${path}`, expect)) as Record<string, unknown>;
}

/** Creates a custom integration and returns its Content API key. */
export async function createContentKey(s: AdminSession, name: string): Promise<string> {
  const r = await admin(s, "POST", "integrations/", { integrations: [{ name }] }, [201]);
  const keys = (r.integrations as Array<{ api_keys?: Array<{ type: string; secret: string }> }> | undefined)?.[0]?.api_keys ?? [];
  const key = keys.find((k) => k.type === "content")?.secret;
  if (!key) throw new Error(`POST /ghost/api/admin/integrations/: no content API key in ${JSON.stringify(r).slice(0, 300)}`);
  return key;
}
