// Shared test helpers: temp dirs and running the ops CLI as an operator would.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, ROOT, runCli, spawnCli } from "../support/run-cli.ts";

export { type CliResult, ROOT };

export function tempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ops-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Temp dirs made on demand, all removed by `cleanup` (call it in afterAll). */
export function tempDirs(): { temp: (label: string) => string; cleanup: () => void } {
  const made: Array<() => void> = [];
  return {
    temp: (label) => {
      const t = tempDir(label);
      made.push(t.cleanup);
      return t.dir;
    },
    cleanup: () => made.forEach((c) => c()),
  };
}

/**
 * Runs `npm run ops -- <args>` in this process (test/support/run-cli.ts): scripts/ops.ts itself,
 * its exit code, stdout and stderr, in milliseconds instead of a process start.
 */
export const ops = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli("ops.ts", args, env);

/** The same as its own process: once per exit code, for the status a shell sees. */
export const spawnOps = (args: string[], env: NodeJS.ProcessEnv = {}): CliResult => spawnCli("ops.ts", args, env);

/**
 * A writer in another process: opens the database in `mode`, optionally starts
 * a transaction and writes without committing, prints "ready" and waits.
 */
export function writer(path: string, mode: "wal" | "delete", open: "idle" | "mid-transaction"): Promise<ChildProcessWithoutNullStreams> {
  const script = `
    const Database = require("libsql");
    const db = new Database(${JSON.stringify(path)});
    db.exec("PRAGMA journal_mode = ${mode}");
    ${open === "mid-transaction" ? `db.exec("BEGIN IMMEDIATE"); db.exec("INSERT INTO tags (id, name, slug, created_at) VALUES ('w', 'w', 'writer-tag', '2026-12-01 00:00:00')");` : ""}
    process.stdout.write("ready\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`the writer exited with ${code}`)));
  });
}

export const stop = (child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });

