// The program's entry, as the Pulumi language host loads it (package.json
// "main"). The program is TypeScript with ES modules; this plain-JavaScript
// entry registers tsx itself and imports it, so loading does not depend on the
// host passing Pulumi.yaml's runtime options through to node (the Node host
// inside sdk/v3 v3.68.0, which the cluster suite runs, reads them from command
// line flags that CLI v3.248.0 no longer sends). Stack outputs are this
// module's exports: those of infra/index.ts.
import { register } from "tsx/esm/api";

register();
const program = await import("./index.ts");

export const cluster = program.cluster;
export const creators = program.creators;
export const creatorCount = program.creatorCount;
export const cost = program.cost;
