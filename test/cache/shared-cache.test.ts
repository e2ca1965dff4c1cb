/**
 * The shared cache's nginx configuration (infra/platform/shared-cache.ts), run
 * by a real nginx. Behind it: a stand-in for Ghost that counts its requests,
 * and a STAND-IN for the sleep engine's blocking API (Sablier cannot be built
 * or run here), answering as Sablier v1.16.2 internal/api/start_blocking.go
 * does: 200 once the instance is ready, 504 when it is not ready in time.
 * Requests carry the headers Traefik's per-creator Middleware sets
 * (infra/render/creator.ts). Needs `nginx` on the PATH (Debian's nginx-light):
 * without it the suite fails and says so.
 */
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CREATOR_HEADERS } from "../../infra/contract/sleep.ts";
import { type LocalCache, startLocalCache } from "../../scripts/cache/local-nginx.ts";
import { freePort } from "../../scripts/ghost/ghost-harness.ts";

let cache: LocalCache | undefined;
let ghost: Server;
let engine: Server;
let port = 0;
let ghostPort = 0;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
const wakes: string[] = [];
/** What the stand-in engine does with the next wake-ups. */
const engineBehaviour = { delayMs: 0, status: 200 };
let ghostDown = false;

interface Site {
  id: string;
  sleepAfter?: string;
  state?: "suspended";
}
const bob: Site = { id: "bob", sleepAfter: "10m" };
const pro: Site = { id: "pro" };

/** A request as Traefik sends it to the shared cache, with the creator's headers (node:http, since fetch will not send another Host). */
function send(
  site: Site | undefined,
  path: string,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; cache: string | null; body: string; headers: IncomingHttpHeaders }> {
  const creator: Record<string, string> = site
    ? { [CREATOR_HEADERS.id]: site.id, ...(site.sleepAfter ? { [CREATOR_HEADERS.sleepAfter]: site.sleepAfter } : {}), ...(site.state ? { [CREATOR_HEADERS.state]: site.state } : {}) }
    : {};
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: { Host: `${site?.id ?? "nobody"}.blog`, ...creator, ...options.headers } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          const cache = res.headers["x-cache-status"];
          resolve({ status: res.statusCode ?? 0, cache: typeof cache === "string" ? cache : null, body, headers: res.headers });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const ghostRequests = (url: string) => seen.filter((r) => r.url === url);

async function startGhost(): Promise<void> {
  ghost = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "Content-Type": "text/html", "Cache-Control": "public, max-age=0" });
      res.end(`request ${seen.length} for ${String(req.headers[CREATOR_HEADERS.id.toLowerCase()])}`);
    });
  });
  await new Promise<void>((resolve) => ghost.listen(ghostPort, "127.0.0.1", resolve));
}

beforeAll(async () => {
  ghostPort = await freePort();
  await startGhost();
  engine = createServer((req, res) => {
    wakes.push(req.url ?? "");
    setTimeout(() => {
      res.writeHead(engineBehaviour.status, { "Content-Type": "application/json", "X-Sablier-Session-Status": engineBehaviour.status === 200 ? "ready" : "not-ready" });
      res.end("{}");
    }, engineBehaviour.delayMs);
  });
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  cache = await startLocalCache({
    ghostUpstream: `127.0.0.1:${ghostPort}`,
    sleepEngine: `127.0.0.1:${(engine.address() as AddressInfo).port}`,
    freshFor: "2s",
  });
  port = cache.port;
});

afterAll(async () => {
  await cache?.stop();
  await new Promise((resolve) => ghost?.close(resolve));
  await new Promise((resolve) => engine?.close(resolve));
});

beforeEach(() => {
  engineBehaviour.delayMs = 0;
  engineBehaviour.status = 200;
});

describe("the shared cache in front of every creator", () => {
  it("caches a public page although Ghost marks it max-age=0, and a hit never wakes the site", async () => {
    const first = await send(bob, "/a-post/");
    const wakesAfterMiss = wakes.length;
    const second = await send(bob, "/a-post/");
    expect([first.cache, second.cache]).toEqual(["MISS", "HIT"]);
    expect(second.body).toBe(first.body);
    expect(ghostRequests("/a-post/")).toHaveLength(1);
    expect(wakes.length).toBe(wakesAfterMiss);
  });

  it("wakes a sleeping plan's Ghost through the engine before a miss reaches it, naming the creator's Deployment and idle time", async () => {
    const before = wakes.length;
    await send(bob, "/wake-me/");
    expect(wakes.slice(before)).toEqual(["/api/strategies/blocking?names=deployment_creator-bob_ghost_1&session_duration=10m&timeout=45s"]);
    expect(ghostRequests("/wake-me/")).toHaveLength(1);
  });

  it("never asks the engine for a plan that does not sleep", async () => {
    const before = wakes.length;
    await send(pro, "/always-awake/");
    await send(pro, "/ghost/api/admin/site/");
    expect(wakes.length).toBe(before);
    expect(ghostRequests("/always-awake/")).toHaveLength(1);
  });

  it("keeps creators apart: the same path of two creators is two pages, each from its own Ghost", async () => {
    const a = await send(bob, "/shared-path/");
    const b = await send(pro, "/shared-path/");
    expect(a.body).toContain("for bob");
    expect(b.body).toContain("for pro");
    expect(ghostRequests("/shared-path/").map((r) => r.headers["x-creator-id"])).toEqual(["bob", "pro"]);
  });

  it("passes the host and the forwarded protocol through to Ghost", async () => {
    await send(bob, "/forwarded/", { headers: { "X-Forwarded-Proto": "https" } });
    const [req] = ghostRequests("/forwarded/");
    expect(req?.headers.host).toBe("bob.blog");
    expect(req?.headers["x-forwarded-proto"]).toBe("https");
  });

  it("sends a staff session or a signed-in member to Ghost, waking it", async () => {
    await send(bob, "/members-page/");
    const before = wakes.length;
    const member = await send(bob, "/members-page/", { headers: { Cookie: "ghost-members-ssr=abc" } });
    const staff = await send(bob, "/members-page/", { headers: { Cookie: "ghost-admin-api-session=xyz" } });
    expect([member.cache, staff.cache]).toEqual(["BYPASS", "BYPASS"]);
    expect(ghostRequests("/members-page/")).toHaveLength(3);
    expect(wakes.length - before).toBe(2);
  });

  it("answers Portal's anonymous member call itself, and a member's from Ghost", async () => {
    const anonymous = await send(bob, "/members/api/member/");
    expect([anonymous.status, anonymous.body]).toEqual([204, ""]);
    expect(ghostRequests("/members/api/member/")).toHaveLength(0);
    await send(bob, "/members/api/member/", { headers: { Cookie: "ghost-members-ssr=abc" } });
    expect(ghostRequests("/members/api/member/")).toHaveLength(1);
  });

  it("caches the Content API's GETs and never the admin API", async () => {
    const content = "/ghost/api/content/settings/?key=abc";
    await send(bob, content);
    expect((await send(bob, content)).cache).toBe("HIT");
    expect(ghostRequests(content)).toHaveLength(1);
    const admin = "/ghost/api/admin/site/";
    await send(bob, admin);
    await send(bob, admin);
    expect(ghostRequests(admin).filter((r) => r.headers["x-creator-id"] === "bob")).toHaveLength(2);
  });

  it("holds a write that arrives while the site sleeps until Ghost is awake, and delivers it whole", async () => {
    engineBehaviour.delayMs = 1500;
    const started = Date.now();
    const response = await send(bob, "/members/api/send-magic-link/", { method: "POST", body: '{"email":"reader@example.com"}', headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(ghostRequests("/members/api/send-magic-link/").map((r) => [r.method, r.body])).toEqual([["POST", '{"email":"reader@example.com"}']]);
  });

  it("lets one request of a burst through to a sleeping site: the others wait for its copy", async () => {
    engineBehaviour.delayMs = 1000;
    const before = wakes.length;
    const responses = await Promise.all(Array.from({ length: 20 }, () => send(bob, "/burst/")));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(ghostRequests("/burst/")).toHaveLength(1);
    expect(wakes.length - before).toBe(1);
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
  });

  it("serves a stale page while the site sleeps, and its refresh does not wake it", async () => {
    await send(bob, "/stale/");
    await new Promise<void>((resolve) => ghost.close(() => resolve()));
    ghostDown = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000)); // past the 2 s freshness
      const before = wakes.length;
      const stale = await send(bob, "/stale/");
      await new Promise((resolve) => setTimeout(resolve, 300)); // the background refresh
      const again = await send(bob, "/stale/");
      expect([stale.status, again.status]).toEqual([200, 200]);
      expect(stale.cache).toMatch(/^(STALE|UPDATING)$/);
      expect(stale.body).toContain("for bob");
      expect(wakes.length).toBe(before);
    } finally {
      if (ghostDown) await startGhost();
      ghostDown = false;
    }
  });

  it("answers 503 with Retry-After when the site does not wake in time, and caches nothing", async () => {
    engineBehaviour.status = 504;
    const response = await send(bob, "/slow-wake/");
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(ghostRequests("/slow-wake/")).toHaveLength(0);
    engineBehaviour.status = 200;
    expect((await send(bob, "/slow-wake/")).status).toBe(200);
  });

  it("keeps a suspended site at zero whatever the traffic: a notice, no wake, no Ghost", async () => {
    const before = wakes.length;
    const suspended = { ...bob, state: "suspended" as const };
    for (const path of ["/", "/ghost/api/admin/site/", "/ghost/api/content/posts/"]) {
      expect((await send(suspended, path)).status).toBe(503);
    }
    expect(wakes.length).toBe(before);
    expect(ghostRequests("/")).toHaveLength(0);
  });

  it("refuses a request without the creator's headers: it did not come through a creator's route", async () => {
    expect((await send(undefined, "/")).status).toBe(421);
    expect((await send({ id: "Not_An-Id" }, "/")).status).toBe(421);
  });
});
