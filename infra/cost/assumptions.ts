/** The assumptions behind a report's figures, in plain words, so a reader can judge them. */
import type { ResolvedConfig } from "../config/validate.ts";
import { addonWorkloads, estimatedAddons } from "./addon-requests.ts";
import type { CostReport } from "./report.ts";
import type { Scenario } from "./scenario.ts";

function priceLevels(report: CostReport, asOf: string | undefined): string {
  const dates = [...new Set(report.prices.map((p) => p.date))].sort().reverse();
  const older = report.prices.filter((p) => p.date !== report.priceDate).map((p) => `${p.item} (${p.date})`);
  const choice = asOf ? `the newest entry dated on or before ${asOf}` : "the newest dated entry";
  return (
    `Prices: ${choice} for each item of infra/cost/prices.yaml, dated ${dates.join(", ")}` +
    (older.length > 0 ? `; older than ${report.priceDate}, having no newer quotation: ${older.join(", ")}.` : ".")
  );
}

function sleepAssumptions(report: CostReport, local: boolean): string[] {
  const sleep = report.sleep;
  if (!sleep) return ["Node counts leave no spare node for drains and upgrades: set an explicit count or autoscaler bounds to keep one."];
  return [
    `ASSUMPTION, not a measurement: at the busiest moment ${Math.round(sleep.peakAwakeFraction * 100)} % of the ${sleep.sleepingCreators} creators whose plan sleeps are awake (sleep.peakAwakeFraction): the nodes hold ${sleep.awakePods} of their pods, ` +
      `plus ${sleep.burstPods} for a burst of wake-ups (sleep.wakeBurstFraction ${sleep.wakeBurstFraction}) and ${sleep.spareNodes} spare node, which together cost $${sleep.headroomUsd.toFixed(2)} a month. ` +
      `Every creator awake all the time would cost $${sleep.alwaysAwake.perCreatorUsd.toFixed(2)} per creator on the same node size (${sleep.alwaysAwake.nodes} nodes). Measure the real fraction from the monitoring stack (README, Sleeping creators).`,
    ...(local ? ["A creator on node-local storage wakes only on the node that holds its volume: the packing treats the awake pods as free to go anywhere, so a node crowded with awake creators can leave a wake-up Pending until one sleeps; the burst room and spare node cover that on average, not for every node."] : []),
  ];
}

export function assumptions(input: { config: ResolvedConfig; scenario: Scenario; report: CostReport; asOf: string | undefined }): string[] {
  const { config, scenario: s, report, asOf } = input;
  const out = [priceLevels(report, asOf)];
  if (s.model.provider === "civo") {
    out.push(
      "Allocatable from Civo's documented reservations (civo.com/docs/kubernetes/managing-node-pools). One measured g4s.kube.medium node showed 2,308 MiB where the formula gives 2,772 MiB: if that holds for every size, memory-bound stacks need up to ~17 % more nodes.",
    );
  } else {
    out.push("Allocatable is an ESTIMATE: LKE does not document its reservations, so Civo's tiered formula stands in.");
  }
  out.push(
    `kube-system as the provider ships it is an estimate (${s.model.kubeSystem.map((w) => w.name).join(", ")}); the platform add-ons count with the requests infra/platform/addons.ts sets (${addonWorkloads(config).map((w) => w.name).join(", ")})` +
      (estimatedAddons(config).length > 0 ? `, estimated for ${estimatedAddons(config).join("; ")}.` : "."),
    `At most ${s.model.maxPods} pods per node, DaemonSet pods included.`,
    "A creator's pod: Ghost with its sqld sidecar; suspended and retired creators run none and keep their volume. The shared cache and the sleep engine count as add-ons.",
    ...sleepAssumptions(report, config.storage.type === "local"),
    "Shared costs (load balancer, control plane, object storage, system pods, idle capacity, retired creators' volumes) are spread over creators in proportion to their requests; node prices split into CPU and memory with OpenCost's default ratio.",
    "Object storage holds backups, sized at the sum of the creators' volume sizes (an upper bound).",
    "Monthly figures: hourly billing caps at the monthly price; traffic is not billed separately.",
  );
  if (config.storage.type === "local") {
    out.push("storage.type local: creator data lives on node disks at no extra charge; the nodes' disk sizes are not checked, and backups are what protect the data.");
  } else {
    const v = s.prices.volume();
    out.push(`One block volume per creator, billed per GB in ${v.stepGB} GB steps with a ${v.minGB} GB minimum.`);
  }
  if (config.monitoring.enabled) out.push(`Prometheus's own ${config.monitoring.storage} volume is billed as block storage (a shared cost).`);
  return out;
}
