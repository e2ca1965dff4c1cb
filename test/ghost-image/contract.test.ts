// The Ghost container contract (infra/ghost/contract.ts) against the image
// definition it describes and the preload module that reads it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_HEAP_MB,
  GHOST_BASE_IMAGE,
  GHOST_IMAGE,
  GHOST_VERSION,
  LIBSQL_DRIVER_DIR,
  LIBSQL_DRIVER_VERSION,
  PRELOAD_MODULE_PATH,
  ghostEnvironment,
  ghostNodeOptions,
  type GhostEnvironmentOptions,
} from "../../infra/ghost/contract.ts";

const IMAGE_DIR = resolve(import.meta.dirname, "../../images/ghost-libsql");
const dockerfile = readFileSync(resolve(IMAGE_DIR, "Dockerfile"), "utf8");
const require = createRequire(import.meta.url);
const preload = require(resolve(IMAGE_DIR, "libsql-preload.cjs")) as {
  parseConfig(env: Record<string, string | undefined>): { mode: string; localPath?: string; syncUrl?: string };
};

const OPTS: GhostEnvironmentOptions = {
  url: "https://alice.example.com",
  mode: "replica",
  sqldUrl: "http://127.0.0.1:8080",
  tokenSecretName: "sqld-auth",
  tokenSecretKey: "ghost-token",
  heapMb: 128,
  localDbPath: "/var/lib/creator/content/data/ghost-replica.db",
  contentPath: "/var/lib/creator/content",
};

const asMap = (env: ReturnType<typeof ghostEnvironment>) => new Map(env.map((e) => [e.name, e]));

describe("image definition", () => {
  it("builds FROM the Ghost version the contract names", () => {
    expect(dockerfile).toMatch(new RegExp(`^ARG GHOST_VERSION=${GHOST_VERSION.replace(/\./g, "\\.")}$`, "m"));
    expect(dockerfile).toMatch(/^FROM ghost:\$\{GHOST_VERSION\}-alpine@\$\{GHOST_DIGEST\}$/m);
    expect(dockerfile).toMatch(/^ARG GHOST_DIGEST=sha256:[0-9a-f]{64}$/m);
    expect(GHOST_BASE_IMAGE).toBe(`ghost:${GHOST_VERSION}-alpine`);
    expect(GHOST_IMAGE).toContain(`${GHOST_VERSION}-libsql${LIBSQL_DRIVER_VERSION}`);
  });

  it("pins the libsql driver the contract names, in package.json and the lockfile", () => {
    const pkg = JSON.parse(readFileSync(resolve(IMAGE_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(resolve(IMAGE_DIR, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    expect(pkg.dependencies.libsql).toBe(LIBSQL_DRIVER_VERSION);
    expect(lock.packages["node_modules/libsql"]?.version).toBe(LIBSQL_DRIVER_VERSION);
    expect(lock.packages["node_modules/@libsql/linux-x64-musl"]?.version).toBe(LIBSQL_DRIVER_VERSION);
  });

  it("runs as the official image's node user and sets the contract's Node flags", () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile.trimEnd().split("\n").filter((l) => /^USER /.test(l)).at(-1)).toBe("USER node");
    expect(dockerfile).toContain(`NODE_OPTIONS="${ghostNodeOptions(DEFAULT_HEAP_MB)}"`);
    expect(dockerfile).toContain(`WORKDIR ${LIBSQL_DRIVER_DIR}`);
    expect(PRELOAD_MODULE_PATH).toBe(`${LIBSQL_DRIVER_DIR}/libsql-preload.cjs`);
    expect(dockerfile).toMatch(/^COPY libsql-preload\.cjs \.\/$/m);
    expect(dockerfile).toMatch(/LIBSQL_MODE=replica/);
  });
});

describe("ghostEnvironment", () => {
  it("wires Ghost to the replica file and the preload to sqld", () => {
    const env = asMap(ghostEnvironment(OPTS));
    expect(env.get("database__client")?.value).toBe("better-sqlite3");
    expect(env.get("database__connection__filename")?.value).toBe(OPTS.localDbPath);
    expect(env.get("LIBSQL_LOCAL_PATH")?.value).toBe(OPTS.localDbPath);
    expect(env.get("LIBSQL_SYNC_URL")?.value).toBe(OPTS.sqldUrl);
    expect(env.get("LIBSQL_AUTH_TOKEN")?.valueFrom).toEqual({ secretKeyRef: { name: "sqld-auth", key: "ghost-token" } });
    expect(env.get("NODE_OPTIONS")?.value).toBe(`--require=${PRELOAD_MODULE_PATH} --max-old-space-size=128 --max-semi-space-size=2`);
    expect(env.get("paths__contentPath")?.value).toBe(OPTS.contentPath);
    expect(env.get("GHOST_CONTENT")?.value).toBe(OPTS.contentPath);
    expect(OPTS.localDbPath.startsWith(`${OPTS.contentPath}/`)).toBe(true);
  });

  it("is accepted by the preload module once the secret is filled in", () => {
    const env: Record<string, string | undefined> = {};
    for (const e of ghostEnvironment(OPTS)) env[e.name] = e.value ?? "token-from-secret";
    const config = preload.parseConfig(env);
    expect(config.mode).toBe("replica");
    expect(config.localPath).toBe(OPTS.localDbPath);
    expect(config.syncUrl).toBe(OPTS.sqldUrl);
  });

  it("file mode carries no sqld settings and is accepted by the preload", () => {
    const list = ghostEnvironment({ ...OPTS, mode: "file" });
    expect(list.map((e) => e.name)).not.toContain("LIBSQL_SYNC_URL");
    expect(list.map((e) => e.name)).not.toContain("LIBSQL_AUTH_TOKEN");
    const env = Object.fromEntries(list.map((e) => [e.name, e.value]));
    expect(preload.parseConfig(env).mode).toBe("file");
  });

  it("names the field and the reason for bad input", () => {
    expect(() => ghostEnvironment({ ...OPTS, localDbPath: "data/ghost.db" })).toThrow(/localDbPath: "data\/ghost.db" must be an absolute path/);
    expect(() => ghostEnvironment({ ...OPTS, sqldUrl: "127.0.0.1:8080" })).toThrow(/sqldUrl: .* must be an http/);
    expect(() => ghostEnvironment({ ...OPTS, url: "alice.example.com" })).toThrow(/url: .* must be an http\(s\) URL/);
    expect(() => ghostEnvironment({ ...OPTS, heapMb: 96 })).toThrow(/heapMb: 96 is invalid.*first boot runs out of heap/);
  });
});

describe("the published image", () => {
  it("is pinned in one place, under the tag of what it contains", async () => {
    const { GHOST_IMAGE_TAG, PUBLISHED_GHOST_IMAGE } = await import("../../infra/ghost/contract.ts");
    expect(PUBLISHED_GHOST_IMAGE.tag).toBe(GHOST_IMAGE_TAG);
    if (PUBLISHED_GHOST_IMAGE.digest !== null) {
      expect(PUBLISHED_GHOST_IMAGE.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(GHOST_IMAGE).toBe(`${PUBLISHED_GHOST_IMAGE.repository}:${GHOST_IMAGE_TAG}@${PUBLISHED_GHOST_IMAGE.digest}`);
    } else {
      expect(GHOST_IMAGE).toBe(`${PUBLISHED_GHOST_IMAGE.repository}:${GHOST_IMAGE_TAG}`);
    }
  });
});
