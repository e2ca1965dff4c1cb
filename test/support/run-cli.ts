/**
 * The project's command-line tools (scripts/<name>.ts) as the tests run them.
 *
 * `runCli` runs the entry file itself in this process: a fresh instance of the
 * module for every run (its dependencies are shared, as they are loaded once
 * per process anyway), with its command line in process.argv and its
 * environment added to process.env. The first process.exit() ends the run and
 * gives the exit code (else process.exitCode, else 0); stdout and stderr are
 * captured until then. An error escaping the entry file is what Node would do
 * with it: exit 1 with the stack trace on stderr. Everything between the
 * command line and the exit code is the CLI's own code, so every bad argument
 * or input can be tried in milliseconds.
 *
 * What only a process can show (the exit status a shell sees, streams written
 * to real pipes) is `spawnCli`: one node process with tsx's loader, no npx.
 * Each CLI's tests spawn it once per exit-code class.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { vi } from "vitest";

export const ROOT = join(import.meta.dirname, "../..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type Cli = "plan.ts" | "cost.ts" | "ops.ts" | "creators.ts" | "bench.ts" | "upgrade.ts";

/** Thrown by the stubbed process.exit: it unwinds the CLI as far as its top level. */
class Exited extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

let runs = 0;
let queue: Promise<unknown> = Promise.resolve();

/** Runs `scripts/<cli> <args>` in this process; runs never overlap (they share process.argv and the streams). */
export function runCli(cli: Cli, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const run = queue.then(() => runInProcess(cli, args, env));
  queue = run.catch(() => undefined);
  return run;
}

async function runInProcess(cli: Cli, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  let exitCode: number | undefined;
  const capture = (append: (text: string) => void) => (chunk: unknown, ...rest: unknown[]) => {
    if (exitCode === undefined) append(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  };
  const savedArgv = process.argv;
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const out = vi.spyOn(process.stdout, "write").mockImplementation(capture((t) => (stdout += t)) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(capture((t) => (stderr += t)) as typeof process.stderr.write);
  const exit = vi.spyOn(process, "exit").mockImplementation(((code?: number | string | null) => {
    exitCode ??= Number(code ?? 0);
    throw new Exited(exitCode);
  }) as typeof process.exit);
  process.argv = [process.execPath, join(ROOT, "scripts", cli), ...args];
  Object.assign(process.env, env);
  process.exitCode = undefined;
  try {
    await import(/* @vite-ignore */ `${pathToFileURL(join(ROOT, "scripts", cli)).href}?run=${++runs}`);
  } catch (error) {
    if (!(error instanceof Exited) && exitCode === undefined) {
      stderr += `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
      exitCode = 1;
    }
  } finally {
    const code = exitCode ?? Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    process.argv = savedArgv;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    out.mockRestore();
    err.mockRestore();
    exit.mockRestore();
    exitCode = code;
  }
  return { code: exitCode, stdout, stderr };
}

const command = (cli: Cli, args: string[]) => [process.execPath, ["--import", "tsx", join(ROOT, "scripts", cli), ...args]] as const;

/** `node --import tsx scripts/<cli> <args>` in its own process, from the repository's root. */
export function spawnCli(cli: Cli, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const [node, argv] = command(cli, args);
  const r = spawnSync(node, argv, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking this process (for a test that serves something in-process). */
export function spawnCliAsync(cli: Cli, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const [node, argv] = command(cli, args);
  return new Promise((resolve, reject) => {
    const child = spawn(node, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
