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
/** The shared cache's nginx, where Traefik sends every creator's traffic (a pod of its own, so it may share sqld's number). */
export const CACHE_PORT = 8080;
/** The shared cache's wake gate: a second nginx server on the pod's loopback that misses go through. */
export const WAKE_GATE_PORT = 8081;
/** The sleep engine's HTTP API (Sablier's `--server.port` default). */
export const SLEEP_ENGINE_PORT = 10000;
/** cert-manager's HTTP-01 solver pods listen here. */
export const ACME_SOLVER_PORT = 8089;
