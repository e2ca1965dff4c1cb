// The policy pack's entry, as the Pulumi engine loads it. The Node language host
// runs `node …/@pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` with
// PulumiPolicy.yaml's `nodeargs` AFTER the script, where node never reads them,
// and run-policy-pack registers ts-node with type checking before it requires
// the pack (pulumi/pulumi v3.248.0, sdk/nodejs/cmd/pulumi-language-nodejs/main.go
// RunPlugin; sdk/nodejs/cmd/run-policy-pack/run.ts). So the entry is plain
// JavaScript that registers tsx itself and imports the TypeScript pack. No
// top-level await: Node 20 requires this ES module synchronously (require(esm)).
import { register } from "tsx/esm/api";

register();
import("./pack.ts").catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
