/**
 * Every port the platform's pods listen on, defined once: the containers, the
 * Services, the NetworkPolicies and the monitoring all import them from here.
 */
/** Ghost's HTTP port (its `server__port`). */
export const GHOST_PORT = 2368;
/** sqld's HTTP port: Ghost's embedded replica syncs through it; the ops tools reach it from the ops namespace. */
export const SQLD_PORT = 8080;
/** sqld's admin listener, which serves Prometheus metrics at /metrics (behind the admin key). */
export const SQLD_METRICS_PORT = 9090;
/** The cache tier's nginx (a pod of its own, so it may share sqld's number). */
export const CACHE_PORT = 8080;
/** cert-manager's HTTP-01 solver pods listen here. */
export const ACME_SOLVER_PORT = 8089;
