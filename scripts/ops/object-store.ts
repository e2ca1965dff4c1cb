// Where snapshots are kept: a local directory or an S3-compatible bucket
// (AWS S3, Linode/Civo object storage, MinIO, …). backup, restore and move
// use only this interface, so both kinds go through the same code.
import { unwritableDirectory } from "../cli-options.ts";
import { copyFileSync, createReadStream, createWriteStream, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { Option, type Command } from "commander";
import { UsageError } from "./cli-common.ts";
import { errorMessage } from "./outcome.ts";

export interface ObjectStore {
  /** Human-readable location, e.g. the directory or s3://bucket/prefix. */
  readonly location: string;
  putFile(key: string, localPath: string): Promise<void>;
  putText(key: string, text: string): Promise<void>;
  /** Writes the object to `localPath` (created or overwritten). */
  getFile(key: string, localPath: string): Promise<void>;
  getText(key: string): Promise<string>;
  /** Keys directly below `prefix` ("a/" lists "a/x", not "a/b/y"), sorted; directories end with "/". */
  list(prefix: string): Promise<string[]>;
}

/** The store itself could not be used (unreachable, no such bucket, access denied): exit code 1. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** Refuses keys that would escape the store or name nothing. */
function checkKey(key: string): string {
  if (key.split("/").some((p) => p === ".." || p === "." || p === "")) throw new Error(`bad object key: ${key}`);
  return key;
}

export class DirStore implements ObjectStore {
  readonly location: string;
  constructor(dir: string) {
    this.location = resolve(dir);
  }
  private path(key: string): string {
    return join(this.location, checkKey(key));
  }
  /** Written beside the final name, then renamed: a reader never sees half an object. */
  private place(key: string, write: (tmp: string) => void): void {
    const dest = this.path(key);
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.partial-${process.pid}`;
    write(tmp);
    renameSync(tmp, dest);
  }
  async putFile(key: string, localPath: string): Promise<void> {
    this.place(key, (tmp) => copyFileSync(localPath, tmp));
  }
  async putText(key: string, text: string): Promise<void> {
    this.place(key, (tmp) => writeFileSync(tmp, text));
  }
  async getFile(key: string, localPath: string): Promise<void> {
    copyFileSync(this.path(key), localPath);
  }
  async getText(key: string): Promise<string> {
    return readFileSync(this.path(key), "utf8");
  }
  async list(prefix: string): Promise<string[]> {
    const dir = prefix === "" ? this.location : this.path(prefix.replace(/\/$/, ""));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => !n.includes(".partial-"))
      .map((n) => `${prefix}${n}${statSync(join(dir, n)).isDirectory() ? "/" : ""}`)
      .sort();
  }
}

export interface S3Settings {
  /** Endpoint URL of an S3-compatible service; undefined: AWS S3. */
  endpoint?: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** An S3-compatible bucket, objects under `prefix/`. PutObject is atomic: a reader never sees half an object. */
export class S3Store implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;
  constructor(private readonly bucket: string, private readonly prefix: string, settings: S3Settings) {
    this.location = `s3://${bucket}${prefix ? `/${prefix}` : ""}`;
    const custom = settings.endpoint !== undefined;
    this.client = new S3Client({
      region: settings.region,
      credentials: settings.credentials,
      ...(custom ? { endpoint: settings.endpoint } : {}),
      // Linode, Civo, MinIO and Ceph want path-style URLs (http://host/bucket/key), not bucket.host.
      forcePathStyle: custom,
      // The SDK's default CRC32 trailers (aws-chunked uploads) are not understood by every
      // S3-compatible service; restore checks each snapshot's sha256 against its manifest anyway.
      ...(custom ? { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } : {}),
      maxAttempts: 3,
    });
  }
  private objectKey(key: string): string {
    return this.prefix ? `${this.prefix}/${checkKey(key)}` : checkKey(key);
  }
  /** Runs one request; failures name the store, the operation and the key. */
  private async send<T>(what: string, key: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (e) {
      const err = e as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      const why = err.code === "ECONNREFUSED" || err.name === "ECONNREFUSED" ? "connection refused" : `${err.name ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${errorMessage(e)}`;
      throw new StoreError(`${this.location}: ${what} ${key || "/"}: ${why}`);
    }
  }
  async putFile(key: string, localPath: string): Promise<void> {
    const Key = this.objectKey(key);
    // One PutObject per snapshot (up to 5 GiB, far above a creator database).
    await this.send("upload", key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: createReadStream(localPath), ContentLength: statSync(localPath).size })),
    );
  }
  async putText(key: string, text: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.send("upload", key, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: text, ContentType: "application/json" })));
  }
  async getFile(key: string, localPath: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.send("download", key, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      await pipeline(r.Body as Readable, createWriteStream(localPath));
    });
  }
  async getText(key: string): Promise<string> {
    const Key = this.objectKey(key);
    return this.send("download", key, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return (await r.Body?.transformToString("utf8")) ?? "";
    });
  }
  async list(prefix: string): Promise<string[]> {
    const base = this.prefix ? `${this.prefix}/` : "";
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.send("list", prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base + prefix, Delimiter: "/", ContinuationToken: token })),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(base.length));
      for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }
}

export interface StoreOptions {
  s3Endpoint?: string;
  s3Region?: string;
}

/** Adds the options that say how to reach an s3:// store. */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--s3-endpoint <url>", "S3-compatible endpoint for s3:// stores, e.g. https://eu-central-1.linodeobjects.com (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL or $S3_ENDPOINT; none: AWS S3)"),
    )
    .addOption(new Option("--s3-region <name>", "region for s3:// stores (default: $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1)"));
}

export const STORE_HELP =
  "\nStores: a local directory, or s3://bucket/prefix on any S3-compatible service. For s3:// the credentials come from\n" +
  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN if set); a non-AWS endpoint is addressed path-style.";

/** S3 settings from the options and the standard environment variables. Throws UsageError. */
export function s3Settings(o: StoreOptions, env: NodeJS.ProcessEnv = process.env): S3Settings {
  const endpoint = o.s3Endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? env.S3_ENDPOINT;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/i.test(endpoint)) throw new UsageError(`--s3-endpoint: "${endpoint}" is not an http(s) URL`);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new UsageError("s3:// stores need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
  return {
    ...(endpoint ? { endpoint } : {}),
    region: o.s3Region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    credentials: { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) },
  };
}

/** A store from a command-line location: a local directory or s3://bucket[/prefix]. Throws UsageError. */
/** A store to read from, or (`forWriting`) to write into: a local one must then be a directory that can be written. */
export function openStore(spec: string, option: string, o: StoreOptions = {}, forWriting = false): ObjectStore {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(spec);
  if (s3) {
    const bucket = s3[1] as string;
    const prefix = (s3[2] as string).replace(/\/+$/, "");
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`${option}: "${bucket}" is not an S3 bucket name`);
    if (prefix !== "" && prefix.split("/").some((p) => p === "" || p === "." || p === "..")) throw new UsageError(`${option}: bad prefix in ${spec}`);
    return new S3Store(bucket, prefix, s3Settings(o));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new UsageError(`${option}: ${spec}: give a local directory or s3://bucket/prefix`);
  const problem = forWriting ? unwritableDirectory(spec) : undefined;
  if (problem) throw new UsageError(`${option}: ${problem}`);
  return new DirStore(spec);
}
