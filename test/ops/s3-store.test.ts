// backup and restore against a real S3-compatible server (s3rver, in-process on
// 127.0.0.1): the same code path as a local directory, through S3Store. The CLI runs
// in this process (test/support/run-cli.ts), beside the server.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createServer } from "node:net";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import S3rver from "s3rver";
import { generateCreatorDbs, type GeneratedCounts } from "../../scripts/fixtures/ghost-db.ts";
import { ops, tempDirs } from "./helpers.ts";
import { countRows, integrityCheck, parseManifest, sha256File } from "../../scripts/ops/manifest.ts";
import { S3Store, type ObjectStore } from "../../scripts/ops/object-store.ts";

const { temp, cleanup } = tempDirs();

const BUCKET = "creator-backups";
// s3rver checks request signatures against its built-in key pair.
const KEYS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "eu-central-1" };

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

describe("backup and restore through an S3-compatible store", () => {
  let server: S3rver;
  let endpoint: string;
  let src: string;
  let counts: Map<string, GeneratedCounts>;
  const store = (prefix: string): ObjectStore =>
    new S3Store(BUCKET, prefix, { endpoint, region: "eu-central-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });

  beforeAll(async () => {
    server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: temp("s3rver"), configureBuckets: [{ name: BUCKET, configs: [] }] });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    src = temp("s3-src");
    counts = generateCreatorDbs(src, 12, { seed: 71 });
  });
  afterAll(async () => {
    await server?.close();
    cleanup();
  });

  test("backup --to s3:// uploads each snapshot and manifest; restore --from s3:// brings every row back", async () => {
    // Endpoint from AWS_ENDPOINT_URL for the backup, from --s3-endpoint for the restore.
    const b = await ops(["backup", "--dir", src, "--to", `s3://${BUCKET}/eu/daily`, "--json"], { ...KEYS, AWS_ENDPOINT_URL: endpoint });
    expect(b.stderr).not.toMatch(/error/);
    expect(b.code).toBe(0);
    const result = JSON.parse(b.stdout) as { snapshot: string; store: string; backedUp: Array<{ creator: string; file: string; sha256: string }> };
    expect(result.store).toBe(`s3://${BUCKET}/eu/daily`);
    expect(result.backedUp).toHaveLength(12);

    // What is in the bucket: a .db and a .manifest.json per creator under <prefix>/<snapshot>/.
    const s3 = store("eu/daily");
    expect(await s3.list("")).toEqual([`${result.snapshot}/`]);
    const keys = await s3.list(`${result.snapshot}/`);
    expect(keys).toHaveLength(24);
    const check = temp("s3-check");
    for (const m of result.backedUp) {
      const manifest = parseManifest(await s3.getText(`${result.snapshot}/${m.creator}.manifest.json`), "m");
      expect(manifest.tables).toEqual(counts.get(m.creator)?.rows);
      await s3.getFile(m.file, join(check, "x.db"));
      expect(sha256File(join(check, "x.db"))).toBe(manifest.sha256);
    }
    // The full object key is <prefix>/<snapshot>/<creator>.manifest.json.
    expect(parseManifest(await store("").getText(`eu/daily/${result.snapshot}/creator-0003.manifest.json`), "m").creator).toBe("creator-0003");

    const dest = temp("s3-dest");
    const r = await ops(["restore", "--from", `s3://${BUCKET}/eu/daily/`, "--s3-endpoint", endpoint, "--all", "--dir", dest, "--json"], KEYS);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { restored: unknown[] }).restored).toHaveLength(12);
    for (const [id, c] of counts) {
      expect(countRows(join(dest, `${id}.db`))).toEqual(c.rows);
      expect(integrityCheck(join(dest, `${id}.db`))).toBe("ok");
    }
    expect(readdirSync(dest).filter((n) => n.includes(".restore-"))).toEqual([]); // no staging files left
  });

  test("a tampered object in the bucket fails its checksum and replaces nothing", async () => {
    const b = await ops(["backup", "--dir", src, "--creator", "creator-0001", "creator-0002", "--to", `s3://${BUCKET}/tamper`, "--json"], { ...KEYS, S3_ENDPOINT: endpoint });
    expect(b.code).toBe(0);
    const { snapshot } = JSON.parse(b.stdout) as { snapshot: string };
    const s3 = store("tamper");
    const work = temp("s3-tamper");
    await s3.getFile(`${snapshot}/creator-0001.db`, join(work, "t.db"));
    const bytes = readFileSync(join(work, "t.db"));
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
    writeFileSync(join(work, "t.db"), bytes);
    await s3.putFile(`${snapshot}/creator-0001.db`, join(work, "t.db"));

    const dest = temp("s3-tamper-dest");
    writeFileSync(join(dest, "creator-0001.db"), "the live database");
    const r = await ops(["restore", "--from", `s3://${BUCKET}/tamper`, "--s3-endpoint", endpoint, "--all", "--dir", dest, "--force", "--json"], KEYS);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { restored: Array<{ creator: string }>; failed: Array<{ creator: string; error: string }> };
    expect(out.failed).toEqual([{ creator: "creator-0001", error: expect.stringMatching(/checksum mismatch/) as unknown as string }]);
    expect(out.restored.map((x) => x.creator)).toEqual(["creator-0002"]);
    expect(readFileSync(join(dest, "creator-0001.db"), "utf8")).toBe("the live database");
    expect(readdirSync(dest).sort()).toEqual(["creator-0001.db", "creator-0002.db"]);
  });

  test("a wrong bucket or a server that is down: a clear error, exit 1, nothing replaced", async () => {
    const dest = temp("s3-fail-dest");
    writeFileSync(join(dest, "creator-0001.db"), "the live database");
    const untouched = (): void => {
      expect(readdirSync(dest)).toEqual(["creator-0001.db"]);
      expect(readFileSync(join(dest, "creator-0001.db"), "utf8")).toBe("the live database");
    };

    const wrongBucket = await ops(["restore", "--from", "s3://no-such-bucket/eu", "--s3-endpoint", endpoint, "--all", "--dir", dest, "--force"], KEYS);
    expect(wrongBucket.code).toBe(1);
    expect(wrongBucket.stderr).toMatch(/error: s3:\/\/no-such-bucket\/eu: list \/: NoSuchBucket \(HTTP 404\)/);
    expect(wrongBucket.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    untouched();
    const backupWrongBucket = await ops(["backup", "--dir", src, "--to", "s3://no-such-bucket/eu"], { ...KEYS, AWS_ENDPOINT_URL: endpoint });
    expect(backupWrongBucket.code).toBe(1);
    expect(backupWrongBucket.stderr).toMatch(/NoSuchBucket/);

    const down = `http://127.0.0.1:${await closedPort()}`;
    const restoreDown = await ops(["restore", "--from", `s3://${BUCKET}/eu/daily`, "--s3-endpoint", down, "--all", "--dir", dest, "--force"], KEYS);
    expect(restoreDown.code).toBe(1);
    expect(restoreDown.stderr).toMatch(new RegExp(`error: s3://${BUCKET}/eu/daily: list /: connection refused`));
    untouched();
    const backupDown = await ops(["backup", "--dir", src, "--to", `s3://${BUCKET}/eu/daily`, "--s3-endpoint", down], KEYS);
    expect(backupDown.code).toBe(1);
    expect(backupDown.stderr).toMatch(/connection refused/);

    // An unknown access key is refused by the server (s3rver checks the key id, not V4 signatures).
    const badKey = await ops(["restore", "--from", `s3://${BUCKET}/eu/daily`, "--s3-endpoint", endpoint, "--all", "--dir", dest, "--force"], { ...KEYS, AWS_ACCESS_KEY_ID: "NOT-A-KEY" });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/list \/: InvalidAccessKeyId \(HTTP 403\)/);
    untouched();
  });
});
