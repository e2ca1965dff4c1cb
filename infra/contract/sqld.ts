/**
 * sqld's side of the contract between a creator's pod, the monitoring stack and
 * the operations tools, defined once: the Secret holding its admin key (the
 * admin listener's port is in ports.ts). Imported by the renderer and by the
 * platform's monitoring alike, so neither imports the other for it.
 */
/** sqld's admin API key (infra/sqld-auth.ts), in each creator namespace for sqld and in the monitoring namespace for Prometheus. */
export const SQLD_ADMIN_SECRET = "sqld-admin";
export const SQLD_ADMIN_KEY = "admin-auth-key";
