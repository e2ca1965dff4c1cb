/**
 * npm run tools -- [names...] [--json]
 *
 * Builds the programs the cluster tests and the Pulumi engine need from Go
 * modules, with the ordinary `go` client and the Go module proxy only, and
 * caches them by version. What it decides:
 *
 * - Which tools: one wrapper module per tool under tools/go/<tool>/ (go.mod and
 *   go.sum committed; tools.go blank-imports the main packages so `go mod tidy`
 *   keeps them; tool.json names the main packages, the binaries, the version,
 *   the `-X` ldflags and the version check). No name: every tool whose
 *   tool.json does not say `"default": false`, in the order of TOOL_NAMES, which
 *   puts the control plane (etcd, kubernetes, kwok) first.
 * - Where: `${XDG_CACHE_HOME:-$HOME/.cache}/creator-platform/tools/<tool>/<key>/`
 *   with the binaries in `bin/`, the go output in `build.log` and a `.complete`
 *   marker written last. The key is `<version>-<go version>-<hash>`, the hash a
 *   short sha256 of the wrapper's go.mod, go.sum and tool.json: a new version, a
 *   new Go or any change to the wrapper builds into a new directory. A directory
 *   without `.complete` (an interrupted build) is removed and built again.
 * - How: `go build -trimpath [-tags …] -ldflags "-s -w -X …" -o bin/<name> <pkg>`
 *   from inside the wrapper (go downloads what it lacks: a cold build is module
 *   download plus compile), with GOTOOLCHAIN=local so the Go on the machine is
 *   the one in the key, and CGO_ENABLED=0 unless tool.json says `"cgo": true`.
 *   A tool whose main package embeds generated files (tool.json `embeds`: the
 *   Kubernetes provider) is built from a copy of its module source made under
 *   the cache directory (never in the repository), with the files generated the
 *   way its Makefile does, and a copy of the wrapper's go.mod that replaces the
 *   module with that copy.
 * - Assets: files of the module that a program needs at run time (tool.json
 *   `assets`, e.g. kwok's default Stages, which kwokctl embeds but the kwok
 *   binary does not) are copied from GOMODCACHE into `<key>/share/`.
 * - Check: each binary must print its version (tool.json `check`), else the
 *   build fails and no `.complete` is written.
 * - Output: progress on stderr ("cached …", "building … with go…", "built … in
 *   N s"); with --json exactly one JSON document on stdout: tool → {version,
 *   dir, binaries: {name: path}, built, seconds}.
 * - Exit codes: 0 all built or cached, 1 a build failed (the tool, module,
 *   version and the tail of go's output; no stack trace), 2 bad arguments.
 *
 * Importable without side effects: tests call ensureTools(); the command line
 * runs only when this file is the entry point.
 */
import { Command, CommanderError } from "commander";
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { chmod, cp, mkdir, open, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Every tool, in build order: the control plane first. */
export const TOOL_NAMES = ["etcd", "kubernetes", "kwok", "pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "pulumi-language-yaml", "actionlint"] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const WRAPPERS_DIR = join(REPO_ROOT, "tools", "go");

const ToolSpecSchema = z.object({
  tool: z.string(),
  module: z.string(),
  version: z.string().min(1),
  default: z.boolean().default(true),
  cgo: z.boolean().default(false),
  tags: z.array(z.string()).default([]),
  binaries: z.array(z.object({ name: z.string().regex(/^[A-Za-z0-9._-]+$/), package: z.string() })).min(1),
  x: z.record(z.string(), z.string()).default({}),
  embeds: z
    .object({
      dir: z.string(),
      files: z.array(z.object({ from: z.string(), to: z.string(), setVersion: z.string().optional() })).min(1),
    })
    .optional(),
  assets: z.array(z.object({ from: z.string(), to: z.string().regex(/^share\//) })).default([]),
  check: z
    .array(
      z.object({
        binary: z.string(),
        args: z.array(z.string()),
        expect: z.string(),
        env: z.record(z.string(), z.string()).optional(),
      }),
    )
    .default([]),
});
export type ToolSpec = z.infer<typeof ToolSpecSchema>;

export interface ToolResult {
  version: string;
  dir: string;
  binaries: Record<string, string>;
  built: boolean;
  seconds: number;
}

export type Log = (line: string) => void;
const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

/** A build that failed: what was being built and the tail of go's output. */
export class ToolBuildError extends Error {
  override name = "ToolBuildError";
  constructor(
    readonly tool: string,
    readonly module: string,
    readonly version: string,
    readonly tail: string,
    readonly what: string,
  ) {
    super(`building ${tool} (${module} ${version}) failed: ${what}${tail ? `\n${tail}` : ""}`);
  }
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

export function wrapperDir(tool: ToolName): string {
  return join(WRAPPERS_DIR, tool);
}

export function readToolSpec(tool: ToolName): ToolSpec {
  const file = join(wrapperDir(tool), "tool.json");
  const spec = ToolSpecSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  if (spec.tool !== tool) throw new Error(`${file}: "tool" is ${spec.tool}, expected ${tool}`);
  return spec;
}

/** The tools built when none is named: those not marked `"default": false`. */
export function defaultTools(): ToolName[] {
  return TOOL_NAMES.filter((tool) => readToolSpec(tool).default);
}

/** The environment of every go command: the machine's Go, never a downloaded toolchain. */
function goEnv(cgo: boolean): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: cgo ? "1" : "0" };
}

let goVersionCache: string | undefined;
/** `go env GOVERSION`, e.g. go1.26.8. */
export function goVersion(): string {
  goVersionCache ??= execFileSync("go", ["env", "GOVERSION"], { env: goEnv(false), encoding: "utf8" }).trim();
  return goVersionCache;
}

export function toolsCacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "creator-platform", "tools");
}

/** `<version>-<go version>-<hash of go.mod, go.sum and tool.json>`. */
export function toolKey(tool: ToolName): string {
  const spec = readToolSpec(tool);
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "tool.json"]) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(wrapperDir(tool), file)));
    hash.update("\0");
  }
  return `${spec.version}-${goVersion()}-${hash.digest("hex").slice(0, 12)}`;
}

export function toolDir(tool: ToolName): string {
  return join(toolsCacheRoot(), tool, toolKey(tool));
}

/** Where the tool's binaries are (or will be, once built). */
export function toolBinDir(tool: ToolName): string {
  return join(toolDir(tool), "bin");
}

/** Where the tool's run-time files (tool.json `assets`) are. */
export function toolShareDir(tool: ToolName): string {
  return join(toolDir(tool), "share");
}

function binaries(tool: ToolName, spec: ToolSpec): Record<string, string> {
  const bin = toolBinDir(tool);
  return Object.fromEntries(spec.binaries.map((b) => [b.name, join(bin, b.name)]));
}

/** Built and complete: the marker and every binary are there. */
export function isToolCached(tool: ToolName): boolean {
  const spec = readToolSpec(tool);
  const dir = toolDir(tool);
  return existsSync(join(dir, ".complete")) && Object.values(binaries(tool, spec)).every((path) => existsSync(path));
}

interface RunResult {
  code: number;
  tail: string;
}

/** Runs a command, appending its output to the build log and keeping the last lines for an error. */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(opts.logFile, { flags: "a" });
    log.write(`\n$ (cd ${opts.cwd} && ${cmd} ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ")})\n`);
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString("utf8")).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => {
      log.end();
      reject(error);
    });
    child.on("close", (code, signal) => {
      log.end(() => resolvePromise({ code: code ?? (signal ? 128 : 1), tail }));
    });
  });
}

function lastLines(text: string, n = 30): string {
  const lines = text.trimEnd().split("\n");
  return lines.slice(-n).join("\n");
}

function ldflags(spec: ToolSpec): string {
  const parts = ["-s", "-w"];
  for (const [name, value] of Object.entries(spec.x)) {
    const flag = `${name}=${value}`;
    parts.push("-X", /[\s'"]/.test(flag) ? `'${flag.replace(/'/g, "")}'` : flag);
  }
  return parts.join(" ");
}

/** One build at a time per tool and key, across processes (a test and the CLI). */
async function withLock<T>(lockFile: string, log: Log, body: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const handle = await open(lockFile, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const content = (await readFile(lockFile, "utf8").catch(() => "")).trim();
      const holder = Number(content);
      // An empty lock was just created by another process that has not written its pid yet.
      let alive = content === "" && Date.now() - (await stat(lockFile).then((st) => st.mtimeMs).catch(() => 0)) < 5000;
      if (Number.isInteger(holder) && holder > 0) {
        try {
          process.kill(holder, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      if (!alive) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (!announced) log(`waiting for process ${holder}, which is building into ${dirname(lockFile)}…`);
      announced = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await body();
  } finally {
    await rm(lockFile, { force: true });
  }
}

/** The module's directory in GOMODCACHE (downloading it if absent), from inside the wrapper. */
async function moduleDir(tool: ToolName, spec: ToolSpec, logFile: string): Promise<string> {
  const result = await run("go", ["list", "-m", "-f", "{{.Dir}}", spec.module], { cwd: wrapperDir(tool), env: goEnv(spec.cgo), logFile });
  let dir = lastLines(result.tail, 1).trim();
  if (result.code !== 0 || !dir || !existsSync(dir)) {
    const dl = await run("go", ["mod", "download", spec.module], { cwd: wrapperDir(tool), env: goEnv(spec.cgo), logFile });
    if (dl.code !== 0) throw new ToolBuildError(tool, spec.module, spec.version, lastLines(dl.tail), "go mod download failed");
    const again = await run("go", ["list", "-m", "-f", "{{.Dir}}", spec.module], { cwd: wrapperDir(tool), env: goEnv(spec.cgo), logFile });
    dir = lastLines(again.tail, 1).trim();
    if (again.code !== 0 || !existsSync(dir)) throw new ToolBuildError(tool, spec.module, spec.version, lastLines(again.tail), "go list -m failed");
  }
  return dir;
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(path);
    else await chmod(path, 0o644);
  }
}

/**
 * For a main package that embeds generated files: copies the module source out
 * of GOMODCACHE into `<dir>/src/module`, writes the embed files there (as the
 * provider's `VERSION=… go generate` does: the JSON re-serialised compactly,
 * the schema's "version" set), and writes `<dir>/src/wrapper` with the
 * wrapper's go.mod and go.sum plus a replace of the module by that copy.
 * Returns the directory to build in.
 */
async function prepareEmbeds(tool: ToolName, spec: ToolSpec, dir: string, logFile: string): Promise<string> {
  const embeds = spec.embeds;
  if (!embeds) return wrapperDir(tool);
  const source = await moduleDir(tool, spec, logFile);
  const moduleCopy = join(dir, "src", "module");
  const wrapperCopy = join(dir, "src", "wrapper");
  await cp(source, moduleCopy, { recursive: true });
  await makeWritable(moduleCopy);
  for (const file of embeds.files) {
    const from = join(moduleCopy, embeds.dir, file.from);
    const to = join(moduleCopy, embeds.dir, file.to);
    const json = JSON.parse(await readFile(from, "utf8")) as unknown;
    if (file.setVersion !== undefined) {
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new ToolBuildError(tool, spec.module, spec.version, "", `${file.from} is not a JSON object`);
      }
      (json as Record<string, unknown>).version = file.setVersion;
    }
    await writeFile(to, JSON.stringify(json));
  }
  await mkdir(wrapperCopy, { recursive: true });
  const goMod = await readFile(join(wrapperDir(tool), "go.mod"), "utf8");
  await writeFile(join(wrapperCopy, "go.mod"), `${goMod.trimEnd()}\n\n// Added by build-tools.ts: the module with its generated embed files.\nreplace ${spec.module} => ${moduleCopy}\n`);
  await cp(join(wrapperDir(tool), "go.sum"), join(wrapperCopy, "go.sum"));
  return wrapperCopy;
}

async function checkVersions(tool: ToolName, spec: ToolSpec, bins: Record<string, string>, dir: string, logFile: string): Promise<void> {
  for (const check of spec.check) {
    const path = bins[check.binary];
    if (!path) throw new ToolBuildError(tool, spec.module, spec.version, "", `check names unknown binary ${check.binary}`);
    const env = { ...process.env, ...(check.env ?? {}) };
    const result = await run(path, check.args, { cwd: dir, env, logFile });
    if (!result.tail.includes(check.expect)) {
      throw new ToolBuildError(
        tool,
        spec.module,
        spec.version,
        lastLines(result.tail, 10),
        `\`${check.binary} ${check.args.join(" ")}\` (exit ${result.code}) does not report ${JSON.stringify(check.expect)}`,
      );
    }
  }
}

/** Builds one tool unless it is cached. */
export async function ensureTool(tool: ToolName, log: Log = stderrLog): Promise<ToolResult> {
  const spec = readToolSpec(tool);
  const dir = toolDir(tool);
  const bins = binaries(tool, spec);
  if (isToolCached(tool)) {
    log(`cached ${tool} ${spec.version} (${dir})`);
    return { version: spec.version, dir, binaries: bins, built: false, seconds: 0 };
  }
  await mkdir(dirname(dir), { recursive: true });
  return withLock(`${dir}.lock`, log, async () => {
    if (isToolCached(tool)) {
      log(`cached ${tool} ${spec.version} (${dir}), built meanwhile by another process`);
      return { version: spec.version, dir, binaries: bins, built: false, seconds: 0 };
    }
    const started = performance.now();
    log(`building ${tool} ${spec.version} with ${goVersion()}… (log: ${join(dir, "build.log")})`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, "bin"), { recursive: true });
    const logFile = join(dir, "build.log");
    const buildIn = await prepareEmbeds(tool, spec, dir, logFile);
    for (const binary of spec.binaries) {
      const args = ["build", "-trimpath"];
      if (spec.tags.length > 0) args.push("-tags", spec.tags.join(","));
      args.push("-ldflags", ldflags(spec), "-o", bins[binary.name]!, binary.package);
      const t0 = performance.now();
      const result = await run("go", args, { cwd: buildIn, env: goEnv(spec.cgo), logFile });
      if (result.code !== 0) {
        throw new ToolBuildError(tool, spec.module, spec.version, lastLines(result.tail), `go build ${binary.package} failed (exit ${result.code})`);
      }
      log(`  ${binary.name}: ${Math.round((performance.now() - t0) / 1000)} s`);
    }
    if (spec.assets.length > 0) {
      const source = await moduleDir(tool, spec, logFile);
      for (const asset of spec.assets) {
        await mkdir(dirname(join(dir, asset.to)), { recursive: true });
        await cp(join(source, asset.from), join(dir, asset.to));
        await chmod(join(dir, asset.to), 0o644);
      }
    }
    await checkVersions(tool, spec, bins, dir, logFile);
    if (spec.embeds) await rm(join(dir, "src"), { recursive: true, force: true });
    const seconds = Math.round((performance.now() - started) / 1000);
    await writeFile(join(dir, ".complete"), `${JSON.stringify({ tool, version: spec.version, go: goVersion(), seconds, at: new Date().toISOString() })}\n`);
    log(`built ${tool} in ${seconds} s`);
    return { version: spec.version, dir, binaries: bins, built: true, seconds };
  });
}

/**
 * Builds (or finds cached) the named tools, in TOOL_NAMES order, and returns
 * every binary's path by binary name, e.g. {"kube-apiserver": "/…/bin/kube-apiserver"}.
 */
export async function ensureTools(names: readonly ToolName[], log: Log = stderrLog): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const tool of TOOL_NAMES.filter((t) => names.includes(t))) {
    Object.assign(paths, (await ensureTool(tool, log)).binaries);
  }
  return paths;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("tools")
    .description(
      "Build the Go tools (etcd, Kubernetes control plane, kwok, Pulumi CLI, Kubernetes provider, actionlint) from their " +
        "wrapper modules in tools/go, cached by version under $XDG_CACHE_HOME/creator-platform/tools. " +
        "Exit 0 built or cached, 1 a build failed, 2 bad arguments.",
    )
    .argument("[names...]", `tools to build (default: every default tool; all: ${TOOL_NAMES.join(", ")})`)
    .option("--json", "print one JSON document on stdout: tool → {version, dir, binaries, built, seconds}")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const names = program.args;
  const unknown = names.filter((n) => !isToolName(n));
  if (unknown.length > 0) {
    process.stderr.write(`error: unknown tool ${unknown.join(", ")} (known: ${TOOL_NAMES.join(", ")})\n`);
    return 2;
  }
  const json = Boolean(program.opts<{ json?: boolean }>().json);
  const tools = names.length > 0 ? TOOL_NAMES.filter((t) => names.includes(t)) : defaultTools();
  const results: Record<string, ToolResult> = {};
  const started = performance.now();
  try {
    for (const tool of tools) results[tool] = await ensureTool(tool);
  } catch (error) {
    if (error instanceof ToolBuildError) {
      process.stderr.write(`error: ${error.message}\n`);
      if (json) {
        const failed = { module: error.module, version: error.version, error: error.what, tail: error.tail };
        process.stdout.write(`${JSON.stringify({ ...results, [error.tool]: failed }, null, 2)}\n`);
      }
      return 1;
    }
    throw error;
  }
  process.stderr.write(`tools ready in ${Math.round((performance.now() - started) / 100) / 10} s\n`);
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else for (const [tool, r] of Object.entries(results)) process.stdout.write(`${tool} ${r.version} ${join(r.dir, "bin")}\n`);
  return 0;
}

const entry = process.argv[1] ? resolve(process.argv[1]) : "";
if (entry === fileURLToPath(import.meta.url)) {
  await import("../closed-pipe.ts");
  main(process.argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
