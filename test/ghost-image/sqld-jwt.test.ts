// Tokens the integration test and the users' CI workflow give sqld: EdDSA JWTs
// that verify against the public key in both forms sqld accepts.
import { createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateSqldKeyPair, signSqldToken } from "../../scripts/ghost/sqld-jwt.ts";

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;

describe("sqld JWT", () => {
  it("signs {a: rw} with EdDSA, verifiable with the SPKI PEM and the raw base64url key", () => {
    const pair = generateSqldKeyPair();
    const token = signSqldToken(pair.privateKeyPem, { ttlSeconds: 60 });
    const [h, p, sig] = token.split(".") as [string, string, string];
    expect(decode(h)).toEqual({ alg: "EdDSA", typ: "JWT" });
    const payload = decode(p);
    expect(payload.a).toBe("rw");
    expect(Number(payload.exp) - Number(payload.iat)).toBe(60);
    const data = Buffer.from(`${h}.${p}`);
    expect(verify(null, data, createPublicKey(pair.publicKeyPem), Buffer.from(sig, "base64url"))).toBe(true);
    const raw = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: pair.publicKeyBase64Url }, format: "jwk" });
    expect(verify(null, data, raw, Buffer.from(sig, "base64url"))).toBe(true);
    expect(Buffer.from(pair.publicKeyBase64Url, "base64url")).toHaveLength(32);
    // A different key does not verify it.
    const other = generateSqldKeyPair();
    expect(verify(null, data, createPublicKey(other.publicKeyPem), Buffer.from(sig, "base64url"))).toBe(false);
  });

  it("without a ttl the token carries only the access claim", () => {
    const token = signSqldToken(generateSqldKeyPair().privateKeyPem);
    expect(decode(token.split(".")[1] ?? "")).toEqual({ a: "rw" });
  });

  it("refuses a key that is not Ed25519", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => signSqldToken(pem)).toThrow(/must be Ed25519, got ec/);
  });
});
