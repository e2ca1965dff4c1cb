/**
 * Benchmark: how long a reader waits when a sleeping creator wakes, from the
 * first request to its first byte, through the real shared cache (the
 * machine's nginx with infra/platform/shared-cache.ts) in front of the real
 * Ghost the image runs (`npm run test:ghost`'s install), booting warm from its
 * existing database as a woken pod does. And what a cached page costs a reader
 * while the site sleeps.
 *
 * The sleep engine is a STAND-IN (Sablier cannot be built or run here): on the
 * wake gate's blocking call it starts Ghost and answers once Ghost's readiness
 * path answers, as Sablier answers once the Deployment's pod is ready. Not in
 * these figures: the engine's reaction to the API (its informer, ~0.1–1.5 s),
 * scheduling and the container's start on a node (1–2 s, more if the image is
 * not on the node), and the kubelet's readiness probe period (1 s). Target: wake
 * p95 at most 6 s locally.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CREATOR_HEADERS } from "../../infra/contract/sleep.ts";
import type { BenchSection } from "../bench.ts";
import { startLocalCache } from "../cache/local-nginx.ts";
import { ensureGhost } from "../ghost/install-ghost.ts";
import { freePort, setupOwner, startGhost, type RunningGhost } from "../ghost/ghost-harness.ts";

const WAKES = 20;

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;

/** Milliseconds from sending the request to the first byte of the answer, and its status. */
async function firstByte(url: string, headers: Record<string, string>): Promise<{ ms: number; status: number; cache: string | null }> {
  const started = performance.now();
  const response = await fetch(url, { headers });
  const reader = response.body?.getReader();
  await reader?.read();
  const ms = performance.now() - started;
  await reader?.cancel();
  return { ms, status: response.status, cache: response.headers.get("x-cache-status") };
}

export default async function bench(): Promise<BenchSection> {
  const install = ensureGhost();
  const siteDir = mkdtempSync(join(tmpdir(), "bench-wake-"));
  const port = await freePort();
  const options = { install, siteDir, port, mode: "file" as const };
  const first = await startGhost(options, 300_000); // the first boot runs every migration
  await setupOwner(first.url);
  await first.stop();

  const site: { ghost: RunningGhost | undefined } = { ghost: undefined };
  const asleep = async () => {
    await site.ghost?.stop();
    site.ghost = undefined;
  };
  let boots = 0;
  const engine = createServer((_req, res) => {
    const wake = site.ghost ? Promise.resolve(site.ghost) : startGhost(options).then((g) => ((site.ghost = g), boots++, g));
    wake.then(
      () => res.writeHead(200, { "X-Sablier-Session-Status": "ready" }).end("{}"),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  const cache = await startLocalCache({ ghostUpstream: `127.0.0.1:${port}`, sleepEngine: `127.0.0.1:${(engine.address() as AddressInfo).port}` });
  const headers = { Host: `127.0.0.1:${port}`, [CREATOR_HEADERS.id]: "bench", [CREATOR_HEADERS.sleepAfter]: "10m" };
  const base = `http://127.0.0.1:${cache.port}`;
  try {
    const wakes: number[] = [];
    const cached: number[] = [];
    for (let i = 0; i < WAKES; i++) {
      // A page no one asked for yet: a miss that must wake Ghost.
      const wake = await firstByte(`${base}/?wake=${i}`, headers);
      if (wake.status !== 200) throw new Error(`wake ${i}: HTTP ${wake.status}`);
      wakes.push(wake.ms / 1000);
      await asleep();
      // While it sleeps, the page just fetched is a hit.
      const hit = await firstByte(`${base}/?wake=${i}`, headers);
      if (hit.cache !== "HIT") throw new Error(`the page fetched on wake ${i} was not served from the cache while asleep (${hit.cache})`);
      cached.push(hit.ms / 1000);
    }
    const w = [...wakes].sort((a, b) => a - b);
    const c = [...cached].sort((a, b) => a - b);
    const line = `wake p50 ${quantile(w, 0.5).toFixed(2)} s p95 ${quantile(w, 0.95).toFixed(2)} s`;
    return {
      title: `Wake latency: ${WAKES} wakes of a real Ghost (warm boot) through the real shared cache, a stand-in sleep engine`,
      rows: [
        { measure: "first request to first byte, Ghost asleep", p50: `${quantile(w, 0.5).toFixed(2)} s`, p95: `${quantile(w, 0.95).toFixed(2)} s`, max: `${(w.at(-1) ?? 0).toFixed(2)} s` },
        { measure: "cached page while asleep", p50: `${(quantile(c, 0.5) * 1000).toFixed(1)} ms`, p95: `${(quantile(c, 0.95) * 1000).toFixed(1)} ms`, max: `${((c.at(-1) ?? 0) * 1000).toFixed(1)} ms` },
      ],
      notes: [
        line,
        `target: wake p95 at most 6 s: ${quantile(w, 0.95) <= 6 ? "met" : "NOT met"}; Ghost booted ${boots} times for ${WAKES} wakes`,
        "not included: the engine's API reaction, scheduling and container start on a node, the readiness probe's period (see the file's opening comment)",
      ],
    };
  } finally {
    await asleep();
    await cache.stop();
    await new Promise((resolve) => engine.close(resolve));
    rmSync(siteDir, { recursive: true, force: true });
  }
}
