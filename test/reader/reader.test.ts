/**
 * A reader's visit as a browser makes it: headless Chromium (Debian's
 * `chromium`, driven by playwright-core) opens a creator's home page and a post
 * through the real shared cache (the machine's nginx with
 * infra/platform/shared-cache.ts) in front of the real Ghost the image runs
 * (`npm run test:ghost`'s install), with Portal's script running as it does for
 * a visitor. Once the cache is warm, a fresh browser's visit must not reach
 * Ghost at all (every request that reaches it is counted), and the page must
 * render with the post's title visible (a screenshot is kept).
 *
 * Stand-ins, said plainly: Traefik's per-creator Middleware (a small proxy sets
 * the creator's headers), the CDN Ghost loads Portal from (the browser is served
 * the same Portal release from the npm registry, @tryghost/portal, at the
 * version Ghost 6.65.0 asks for), and the sleep engine's blocking API (answers
 * "ready" at once: Ghost stays up here; waking is test/cache and bench --only wake).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREATOR_HEADERS } from "../../infra/contract/sleep.ts";
import { type LocalCache, startLocalCache } from "../../scripts/cache/local-nginx.ts";
import { ensureGhost } from "../../scripts/ghost/install-ghost.ts";
import { admin, freePort, login, setupOwner, startGhost, type RunningGhost } from "../../scripts/ghost/ghost-harness.ts";

const CHROMIUM = spawnSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).stdout.trim();
const PORTAL = join(import.meta.dirname, "../../node_modules/@tryghost/portal/umd/portal.min.js");
const TITLE = "Notes from a sleeping blog";

/** A pass-through proxy to `port`, adding `headers` to every request and telling `seen` about each. */
function proxy(port: number, headers: Record<string, string>, seen?: (req: IncomingMessage) => void): Server {
  return createServer((req, res) => {
    seen?.(req);
    const upstream = request({ host: "127.0.0.1", port, path: req.url, method: req.method, headers: { ...req.headers, ...headers } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
}
const listen = (server: Server, port = 0) => new Promise<number>((resolve) => server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));

let siteDir = "";
let ghost: RunningGhost | undefined;
let cache: LocalCache | undefined;
let browser: Browser | undefined;
const servers: Server[] = [];
const reachedGhost: string[] = [];
const cdnRefused: string[] = [];
let site = "";
let ghostDirect = "";
let postUrl = "";

async function visit(context: BrowserContext, url: string) {
  const page = await context.newPage();
  const response = await page.goto(url, { waitUntil: "networkidle" });
  return { page, status: response?.status() ?? 0 };
}

async function freshContext(): Promise<BrowserContext> {
  if (!browser) throw new Error("no browser");
  const context = await browser.newContext();
  // The CDN stand-in: Portal from the npm registry; nothing else of the CDN's is served.
  await context.route("https://cdn.jsdelivr.net/**", (route) => {
    const url = route.request().url();
    if (/\/ghost\/portal@[^/]+\/umd\/portal\.min\.js$/.test(url)) return route.fulfill({ path: PORTAL, contentType: "application/javascript" });
    cdnRefused.push(url);
    return route.abort();
  });
  return context;
}

beforeAll(async () => {
  if (!CHROMIUM) throw new Error("chromium is not installed: `apt-get install chromium` (.ci/run does) to run the reader's test");
  const install = ensureGhost();
  siteDir = mkdtempSync(join(tmpdir(), "reader-"));
  const ghostPort = await freePort();
  const engine = createServer((_req, res) => res.writeHead(200, { "X-Sablier-Session-Status": "ready" }).end("{}"));
  servers.push(engine);
  const counter = proxy(ghostPort, {}, (req) => reachedGhost.push(`${req.method} ${req.url}`));
  servers.push(counter);
  cache = await startLocalCache({ ghostUpstream: `127.0.0.1:${await listen(counter)}`, sleepEngine: `127.0.0.1:${await listen(engine)}` });
  const edge = proxy(cache.port, { [CREATOR_HEADERS.id]: "reader", [CREATOR_HEADERS.sleepAfter]: "10m" });
  servers.push(edge);
  site = `http://127.0.0.1:${await listen(edge)}`;
  // Ghost's URL is the site's, as a reader reaches it, so its pages and Portal point back through the cache.
  ghost = await startGhost({ install, siteDir, port: ghostPort, mode: "file", extraEnv: { url: site } }, 300_000);
  ghostDirect = ghost.url;
  await setupOwner(site);
  const session = await login(site);
  const created = await admin(session, "POST", "posts/?source=html", { posts: [{ title: TITLE, html: "<p>Read from the cache while Ghost sleeps.</p>", status: "published" }] }, [201]);
  postUrl = (created.posts as Array<{ url: string }>)[0]?.url ?? "";
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await ghost?.stop();
  await cache?.stop();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  if (siteDir) rmSync(siteDir, { recursive: true, force: true });
});

describe("a reader's visit through the shared cache", () => {
  it("renders the home page and a post with Portal running", async () => {
    expect(postUrl.startsWith(site)).toBe(true);
    reachedGhost.length = 0;
    const context = await freshContext();
    for (const url of [site, postUrl]) {
      const { page, status } = await visit(context, url);
      expect(status, url).toBe(200);
      // Portal mounts its root element once its script has run.
      await page.waitForSelector("#ghost-portal-root", { state: "attached", timeout: 20_000 });
    }
    await context.close();
    // The cold visit did reach Ghost (so the count below can fail): the pages, and Portal's Content API calls.
    expect(reachedGhost).toEqual(expect.arrayContaining(["GET /", expect.stringMatching(/^GET \/ghost\/api\/content\/settings\//)]));
    process.stderr.write(`cold visit reached Ghost ${reachedGhost.length} times; CDN requests not served: ${cdnRefused.join(", ") || "none"}\n`);
  });

  it("answers Portal's anonymous member call as Ghost itself does: 204, no body", async () => {
    const fromGhost = await fetch(`${ghostDirect}/members/api/member/`);
    const fromCache = await fetch(`${site}/members/api/member/`);
    expect([fromCache.status, await fromCache.text()]).toEqual([fromGhost.status, await fromGhost.text()]);
    expect(fromGhost.status).toBe(204);
  });

  it("once the cache is warm, serves a fresh browser's whole visit without reaching Ghost", async () => {
    reachedGhost.length = 0;
    const context = await freshContext();
    const home = await visit(context, site);
    expect(home.status).toBe(200);
    const post = await visit(context, postUrl);
    expect(post.status).toBe(200);
    await post.page.waitForSelector("#ghost-portal-root", { state: "attached", timeout: 20_000 });
    await expect.poll(() => post.page.getByRole("heading", { name: TITLE }).isVisible()).toBe(true);
    const shot = join(siteDir, "post.png");
    await post.page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
    await context.close();
    expect(reachedGhost, "requests of a warm visit that reached Ghost").toEqual([]);
  });
});
