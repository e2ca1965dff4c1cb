// The creators' sqld keys are derived from the stack's seed (infra/sqld-auth.ts):
// stable for the same creator and generation, different otherwise, and the
// tokens they sign verify only against their own public key.
import { createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signSqldToken, sqldKeyPair } from "../../infra/sqld-auth.ts";

const SEED = "a-test-seed-that-is-long-enough-for-the-rule";
const verifies = (token: string, publicKeyPem: string) => {
  const [h = "", p = "", sig = ""] = token.split(".");
  return verify(null, Buffer.from(`${h}.${p}`), createPublicKey(publicKeyPem), Buffer.from(sig, "base64url"));
};

describe("derived sqld keys", () => {
  it("are the same on every run for a creator and generation", () => {
    expect(sqldKeyPair(SEED, "alice", 1)).toEqual(sqldKeyPair(SEED, "alice", 1));
    expect(createPublicKey(sqldKeyPair(SEED, "alice", 1).publicKeyPem).asymmetricKeyType).toBe("ed25519");
  });
  it("differ by creator, generation and seed", () => {
    const keys = [
      sqldKeyPair(SEED, "alice", 1),
      sqldKeyPair(SEED, "alice", 2),
      sqldKeyPair(SEED, "bob", 1),
      sqldKeyPair(`${SEED}!`, "alice", 1),
    ].map((k) => k.publicKeyPem);
    expect(new Set(keys).size).toBe(4);
  });
  it("sign rw and ro tokens that verify against their own key only", () => {
    const alice = sqldKeyPair(SEED, "alice", 1);
    const bob = sqldKeyPair(SEED, "bob", 1);
    const ro = signSqldToken(alice.privateKeyPem, { access: "ro" });
    expect(JSON.parse(Buffer.from(ro.split(".")[1] ?? "", "base64url").toString())).toEqual({ a: "ro" });
    expect(verifies(ro, alice.publicKeyPem)).toBe(true);
    expect(verifies(ro, bob.publicKeyPem)).toBe(false);
    expect(signSqldToken(alice.privateKeyPem, { access: "rw" })).toBe(signSqldToken(alice.privateKeyPem, { access: "rw" }));
  });
});
