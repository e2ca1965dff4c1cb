/**
 * The shared cache's configuration (infra/platform/shared-cache.ts) run by the
 * machine's own nginx, for the cache tests and the wake benchmark: the same
 * `http`-level configuration the cluster's pods include, wrapped in a minimal
 * nginx.conf in a temporary directory. Needs `nginx` on the PATH (Debian's
 * nginx-light; .ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SharedCacheConfigInput, sharedCacheConfig } from "../../infra/platform/shared-cache.ts";
import { freePort } from "../ghost/ghost-harness.ts";

export const NGINX = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).stdout.trim();

export interface LocalCache {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Starts nginx with the shared cache in front of `ghostUpstream` and `sleepEngine` (host:port each). */
export async function startLocalCache(input: Pick<SharedCacheConfigInput, "ghostUpstream" | "sleepEngine" | "freshFor">): Promise<LocalCache> {
  if (!NGINX) throw new Error("nginx is not installed: `apt-get install nginx-light` (.ci/run does) to run the shared cache here");
  const dir = mkdtempSync(join(tmpdir(), "shared-cache-"));
  for (const sub of ["conf.d", "cache", "tmp"]) mkdirSync(join(dir, sub));
  chmodSync(dir, 0o777);
  const port = await freePort();
  writeFileSync(
    join(dir, "conf.d", "default.conf"),
    sharedCacheConfig({ ...input, listen: `127.0.0.1:${port}`, cachePath: join(dir, "cache"), gatePort: await freePort() }),
  );
  const tmp = (name: string) => join(dir, "tmp", name);
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off; worker_processes 2; pid ${join(dir, "nginx.pid")}; error_log ${join(dir, "error.log")};
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
  const nginx: ChildProcess = spawn(NGINX, ["-c", join(dir, "nginx.conf")], { stdio: "ignore" });
  const stop = async () => {
    if (nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once("exit", resolve));
      nginx.kill("SIGQUIT");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) return { port, dir, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = readFileSync(join(dir, "error.log"), "utf8");
  await stop();
  throw new Error(`nginx did not start: ${log}`);
}
