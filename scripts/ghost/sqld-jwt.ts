/**
 * JWTs for sqld (`--auth-jwt-key-file`): EdDSA over Ed25519, claim {"a":"rw"}.
 * Used by the integration test when it runs against an external sqld and by
 * the users' CI workflow to mint the token from the key it generated.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type SqldAccess, signSqldToken as signWithAccess } from "../../infra/sqld-auth.ts";

/** Signs a sqld token (infra/sqld-auth.ts). `ttlSeconds` adds iat/exp; omitted, the token does not expire. */
export function signSqldToken(privateKeyPem: string, opts: { access?: SqldAccess; ttlSeconds?: number } = {}): string {
  return signWithAccess(privateKeyPem, { access: opts.access ?? "rw", ...(opts.ttlSeconds === undefined ? {} : { ttlSeconds: opts.ttlSeconds }) });
}

/**
 * A fresh Ed25519 pair: the private key (PKCS#8 PEM) for signing, and the public
 * key as sqld reads it: SPKI PEM for --auth-jwt-key-file, or the raw 32 bytes
 * in URL-safe base64 for the SQLD_AUTH_JWT_KEY variable.
 */
export function generateSqldKeyPair(): { privateKeyPem: string; publicKeyPem: string; publicKeyBase64Url: string } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("Ed25519 public key export has no x");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    publicKeyBase64Url: jwk.x,
  };
}

// CLI for the users' CI workflow (and by hand):
//   tsx scripts/ghost/sqld-jwt.ts keygen <dir>   writes <dir>/jwt-private.pem and <dir>/jwt-public.pem,
//                                              prints the raw public key (URL-safe base64) on stdout
//   tsx scripts/ghost/sqld-jwt.ts token <private.pem>   prints a token valid for one hour
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === "token" && arg) {
    process.stdout.write(`${signSqldToken(readFileSync(arg, "utf8"), { ttlSeconds: 3600 })}\n`);
    process.exit(0);
  }
  const dir = arg;
  if (cmd !== "keygen" || !dir) {
    process.stderr.write("usage: tsx scripts/ghost/sqld-jwt.ts keygen <dir> | token <private.pem>\n");
    process.exit(2);
  }
  const pair = generateSqldKeyPair();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "jwt-private.pem"), pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, "jwt-public.pem"), pair.publicKeyPem, { mode: 0o644 });
  process.stdout.write(`${pair.publicKeyBase64Url}\n`);
}
