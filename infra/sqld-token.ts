/**
 * The token Ghost presents to its sqld: a JWT signed with the creator's Ed25519
 * private key (sqld verifies it with the public key, `--auth-jwt-key-file`).
 * Claim `a: "rw"` grants read-write access. There is no expiry: the token lives
 * as long as the key, and rotating the key (replacing the Pulumi resource)
 * rotates both. Ed25519 signatures are deterministic, so the same key always
 * yields the same token and a preview shows no spurious change.
 */
import { createPrivateKey, sign } from "node:crypto";

const base64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

export function signSqldToken(privateKeyPem: string): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(`sqld tokens need an Ed25519 key, got ${key.asymmetricKeyType ?? "an unknown key type"}`);
  }
  const signingInput = `${base64url(JSON.stringify({ alg: "EdDSA", typ: "JWT" }))}.${base64url(JSON.stringify({ a: "rw" }))}`;
  return `${signingInput}.${base64url(sign(null, Buffer.from(signingInput), key))}`;
}
