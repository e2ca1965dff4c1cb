/**
 * Who may talk to a creator's sqld, decided in one place: the creator's Ed25519
 * key pair and the JWTs signed with it (sqld verifies them with the public key,
 * `--auth-jwt-key-file`; claim `a` is `rw` or `ro`).
 *
 * The key pair is derived, not generated: HKDF-SHA256 over the stack secret
 * `sqldKeySeed`, with the creator id and its key generation as the context. So
 * the program needs no provider plugin to make keys (the TLS provider is a
 * bridged Terraform provider that cannot be built here), previews are stable,
 * and a lost Pulumi state loses no key. Trade-off: whoever reads the seed can
 * derive every creator's key; the Pulumi state, encrypted by the same secrets
 * provider, holds every key anyway. Rotating one creator's key is bumping its
 * `sqldKeyGeneration`; rotating all of them is a new seed.
 */
import { createPrivateKey, createPublicKey, hkdfSync, sign } from "node:crypto";

/** RFC 8410: the PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const HKDF_SALT = "creator-platform sqld jwt key";

export type SqldAccess = "rw" | "ro";

export interface SqldKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** An Ed25519 key from 32 bytes of seed. */
export function ed25519FromSeed(seed: Buffer): SqldKeyPair {
  if (seed.length !== 32) throw new Error(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString(),
  };
}

/** The creator's key pair for sqld, derived from the stack's seed. */
export function sqldKeyPair(stackSeed: string, creatorId: string, generation: number): SqldKeyPair {
  const okm = hkdfSync("sha256", stackSeed, HKDF_SALT, `${creatorId}/${generation}`, 32);
  return ed25519FromSeed(Buffer.from(okm));
}

/**
 * The key of sqld's admin API (`--admin-auth-key`), which also guards the
 * `/metrics` Prometheus scrapes: sqld v0.24.33 libsql-server/src/http/admin/mod.rs
 * applies `auth_middleware` to the whole admin router and compares the
 * `Authorization: Basic <key>` header with the key verbatim. One key per stack:
 * a PodMonitor gives every pod it scrapes the same credentials. Only sqld's
 * container and Prometheus read it; Ghost's container never mounts it.
 */
export function sqldAdminKey(stackSeed: string): string {
  return stackKey(stackSeed, "sqld-admin");
}

/**
 * The password of Grafana's admin user (monitoring.grafana), derived the same way with its
 * own context: the stack needs no further secret, a preview shows no change, and it is
 * rotated with the seed. Whoever reads the seed can derive it, as every other key.
 */
export function grafanaAdminPassword(stackSeed: string): string {
  return stackKey(stackSeed, "grafana-admin");
}

/** 32 bytes of HKDF-SHA256 over the seed for one purpose, as base64url. */
function stackKey(stackSeed: string, purpose: string): string {
  return Buffer.from(hkdfSync("sha256", stackSeed, HKDF_SALT, purpose, 32)).toString("base64url");
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

/**
 * A sqld token. Without `ttlSeconds` it does not expire (it lives as long as the
 * key), and Ed25519 signatures are deterministic: the same key always yields the
 * same token, so a preview shows no spurious change.
 */
export function signSqldToken(privateKeyPem: string, options: { access: SqldAccess; ttlSeconds?: number; now?: number }): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(`sqld JWT key must be Ed25519, got ${key.asymmetricKeyType ?? "an unknown key type"}`);
  }
  const payload: Record<string, unknown> = { a: options.access };
  if (options.ttlSeconds !== undefined) {
    const now = options.now ?? Math.floor(Date.now() / 1000);
    payload.iat = now;
    payload.exp = now + options.ttlSeconds;
  }
  const signingInput = `${base64url(JSON.stringify({ alg: "EdDSA", typ: "JWT" }))}.${base64url(JSON.stringify(payload))}`;
  return `${signingInput}.${base64url(sign(null, Buffer.from(signingInput), key))}`;
}
