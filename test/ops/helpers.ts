// Shared test helpers: temp dirs and running the ops CLI as an operator would.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** One node process with tsx's loader: no npx, no tsx CLI in between. */
const NODE_TSX = [process.execPath, "--import", "tsx"] as const;

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

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run ops -- <args>` (as `tsx scripts/ops.ts <args>`). */
export function ops(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(NODE_TSX[0], [...NODE_TSX.slice(1), join(ROOT, "scripts", "ops.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking this process: for tests that serve something (an S3 server) in-process. */
export function opsAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), join(ROOT, "scripts", "ops.ts"), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
