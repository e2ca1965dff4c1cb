/**
 * Certificates for creator sites. The platform's add-ons create the
 * ClusterIssuers named here; creators' Ingresses refer to them by name.
 *
 * With a wildcard certificate (DNS-01) Traefik serves *.<platform domain> from
 * its default TLS store, so only custom domains need a certificate per creator:
 * Let's Encrypt allows 50 certificates per registered domain a week.
 */
import type { Platform } from "../config/schema.ts";

export function http01IssuerName(tls: Platform["tls"]): string {
  return tls.staging ? "letsencrypt-staging-http01" : "letsencrypt-http01";
}

export function dns01IssuerName(tls: Platform["tls"]): string {
  return tls.staging ? "letsencrypt-staging-dns01" : "letsencrypt-dns01";
}

export interface CreatorTls {
  /** Hosts that need a certificate of the creator's own. */
  certificateHosts: string[];
  /** Annotations for the creator's Ingress. */
  annotations: Record<string, string>;
  scheme: "http" | "https";
}

export function creatorTls(tls: Platform["tls"], platformHost: string, customDomains: string[]): CreatorTls {
  if (tls.mode === "off") return { certificateHosts: [], annotations: {}, scheme: "http" };
  const certificateHosts = tls.wildcard ? customDomains : [platformHost, ...customDomains];
  return {
    certificateHosts,
    annotations: certificateHosts.length > 0 ? { "cert-manager.io/cluster-issuer": http01IssuerName(tls) } : {},
    scheme: "https",
  };
}
