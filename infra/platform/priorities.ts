/**
 * Scheduling priorities: when a node is short of room, creators' sites give
 * way first and the platform's own components last (an
 * evicted ingress controller takes every site down with it).
 */
export const PRIORITY_CLASSES = [
  { name: "platform-critical", value: 100_000, description: "Platform components every creator depends on (ingress, certificates, metrics)." },
  { name: "creator-site", value: 1_000, description: "A creator's Ghost and sqld pod." },
] as const;

export type PriorityClassName = (typeof PRIORITY_CLASSES)[number]["name"];
