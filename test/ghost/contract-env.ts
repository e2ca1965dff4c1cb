/**
 * Prints the Ghost container's environment from infra/ghost/contract.ts as a
 * `docker run --env-file` file, with the JWT filled in where the pod would take
 * it from a Secret. The users' CI workflow boots the built image with it, so
 * the image is checked against the same contract CreatorSite renders.
 *
 *   tsx test/ghost/contract-env.ts --url http://127.0.0.1:2368 --content /var/lib/creator/content \
 *     --sqld-url http://127.0.0.1:8080 --token-file token.jwt [--heap-mb 192] > ghost.env
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_HEAP_MB, ghostEnvironment } from "../../infra/ghost/contract.ts";

export function contractEnvFile(o: { url: string; content: string; sqldUrl: string; token: string; heapMb: number }): string {
  const env = ghostEnvironment({
    url: o.url,
    mode: "replica",
    sqldUrl: o.sqldUrl,
    tokenSecretName: "sqld-auth",
    tokenSecretKey: "ghost-token",
    heapMb: o.heapMb,
    localDbPath: `${o.content}/data/ghost-replica.db`,
    contentPath: o.content,
  });
  return `${env.map((e) => `${e.name}=${e.value ?? o.token}`).join("\n")}\n`;
}

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    content: { type: "string" },
    "sqld-url": { type: "string" },
    "token-file": { type: "string" },
    "heap-mb": { type: "string" },
  },
});
const missing = ["url", "content", "sqld-url", "token-file"].filter((k) => !values[k as keyof typeof values]);
if (missing.length > 0) {
  process.stderr.write(`contract-env: missing --${missing.join(", --")}\n`);
  process.exit(2);
}
process.stdout.write(
  contractEnvFile({
    url: String(values.url),
    content: String(values.content),
    sqldUrl: String(values["sqld-url"]),
    token: readFileSync(String(values["token-file"]), "utf8").trim(),
    heapMb: values["heap-mb"] ? Number(values["heap-mb"]) : DEFAULT_HEAP_MB,
  }),
);
