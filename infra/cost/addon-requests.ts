/**
 * The platform add-ons' own requests, as the cost model counts them: every add-on
 * of infra/platform/addons.ts, installed or shipped by the provider (its pods take
 * room on the nodes either way); DaemonSet requests count once per node.
 */
import type { ResolvedConfig } from "../config/validate.ts";
import { platformAddons } from "../platform/addons.ts";
import type { SystemWorkload } from "./providers.ts";

export function addonWorkloads(config: ResolvedConfig): SystemWorkload[] {
  return platformAddons(config.cluster, config).flatMap((addon) => [
    { name: addon.name, ...addon.requests, perNode: false },
    ...(addon.perNode ? [{ name: `${addon.name} (every node)`, ...addon.perNode, perNode: true }] : []),
  ]);
}

/** Names of the add-ons whose requests are estimates, with the reason. */
export function estimatedAddons(config: ResolvedConfig): string[] {
  return platformAddons(config.cluster, config)
    .filter((a) => a.estimate !== undefined)
    .map((a) => `${a.name} (${a.estimate})`);
}
