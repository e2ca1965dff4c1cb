/**
 * The cache tier's nginx configuration (infra/render/cache.ts), run by a real
 * nginx in front of a stand-in for Ghost that counts its requests: public pages
 * are cached even though Ghost marks them max-age=0; sessions, members and the
 * admin go straight through. Needs `nginx` on the PATH (Debian's nginx-light):
 * without it the suite fails and says so.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_PORT } from "../../infra/contract/ports.ts";
import { nginxConfig } from "../../infra/render/cache.ts";

const NGINX = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).stdout.trim();

let dir = "";
let ghost: Server;
let nginx: ChildProcess | undefined;
let port = 0;
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: free } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

/** A request as the ingress controller sends it (node:http, since fetch will not send another Host). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; cache: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { Host: "bob.blog", ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        const cache = res.headers["x-cache-status"];
        resolve({ status: res.statusCode ?? 0, cache: typeof cache === "string" ? cache : null, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  if (!NGINX) throw new Error("nginx is not installed: `apt-get install nginx-light` (.ci/run does) to run the cache-tier test");
  dir = mkdtempSync(join(tmpdir(), "nginx-cache-"));
  for (const sub of ["conf.d", "cache", "tmp"]) mkdirSync(join(dir, sub));
  chmodSync(dir, 0o777);
  // A stand-in for Ghost: every page says how many requests reached it, marked max-age=0 as Ghost marks them.
  ghost = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "Content-Type": "text/html", "Cache-Control": "public, max-age=0" });
    res.end(`request ${seen.length}`);
  });
  await new Promise<void>((resolve) => ghost.listen(0, "127.0.0.1", resolve));
  const upstream = (ghost.address() as AddressInfo).port;
  port = await freePort();
  const server = nginxConfig("ghost", "creator-bob")
    .replace("ghost.creator-bob.svc.cluster.local:80", `127.0.0.1:${upstream}`)
    .replace(`listen ${CACHE_PORT};`, `listen 127.0.0.1:${port};`)
    .replace("/tmp/cache", join(dir, "cache"));
  writeFileSync(join(dir, "conf.d", "default.conf"), server);
  const tmp = (name: string) => join(dir, "tmp", name);
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off; worker_processes 1; pid ${join(dir, "nginx.pid")}; error_log ${join(dir, "error.log")};
events {}
http {
  access_log off;
  client_body_temp_path ${tmp("body")}; proxy_temp_path ${tmp("proxy")};
  fastcgi_temp_path ${tmp("fastcgi")}; uwsgi_temp_path ${tmp("uwsgi")}; scgi_temp_path ${tmp("scgi")};
  include ${join(dir, "conf.d")}/*.conf;
}
`,
  );
  const check = spawnSync(NGINX, ["-t", "-c", join(dir, "nginx.conf")], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`nginx rejects the configuration:\n${check.stderr}`);
  nginx = spawn(NGINX, ["-c", join(dir, "nginx.conf")], { stdio: "ignore" });
  for (let i = 0; i < 50; i++) {
    if ((await get("/healthz").catch(() => undefined))?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nginx did not start: ${readFileSync(join(dir, "error.log"), "utf8")}`);
});

afterAll(async () => {
  nginx?.kill("SIGQUIT");
  await new Promise((resolve) => ghost?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the cache tier's nginx", () => {
  it("caches a public page although Ghost marks it max-age=0", async () => {
    const first = await get("/a-post/");
    const second = await get("/a-post/");
    expect([first.cache, second.cache]).toEqual(["MISS", "HIT"]);
    expect(second.body).toBe(first.body);
    expect(seen.filter((r) => r.url === "/a-post/")).toHaveLength(1);
  });

  it("passes the host and the forwarded protocol through to Ghost", async () => {
    await get("/forwarded/", { "X-Forwarded-Proto": "https" });
    const request = seen.find((r) => r.url === "/forwarded/");
    expect(request?.headers.host).toBe("bob.blog");
    expect(request?.headers["x-forwarded-proto"]).toBe("https");
  });

  it("sends a staff session or a member straight to Ghost", async () => {
    await get("/members-page/");
    const member = await get("/members-page/", { Cookie: "ghost-members-ssr=abc" });
    const staff = await get("/members-page/", { Cookie: "ghost-admin-api-session=xyz" });
    expect([member.cache, staff.cache]).toEqual(["BYPASS", "BYPASS"]);
    expect(seen.filter((r) => r.url === "/members-page/")).toHaveLength(3);
  });

  it("never caches the admin or the members API", async () => {
    for (const path of ["/ghost/api/admin/site/", "/members/api/member/"]) {
      const before = seen.length;
      const first = await get(path);
      await get(path);
      expect(first.cache).toBeNull();
      expect(seen.length - before).toBe(2);
    }
  });
});
