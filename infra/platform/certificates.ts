/**
 * cert-manager's ClusterIssuers (Let's Encrypt; HTTP-01 through Traefik for
 * custom domains, DNS-01 for the platform's wildcard) and the wildcard
 * certificate Traefik serves by default for every <id>.<platform domain>.
 */
import type { Platform } from "../config/schema.ts";
import { dns01IssuerName, http01IssuerName } from "../render/tls.ts";

const ACME = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
};

export const CLOUDFLARE_TOKEN_SECRET = { name: "cloudflare-api-token", key: "api-token" };
export const WILDCARD_SECRET = "platform-wildcard-tls";

export function clusterIssuers(tls: Platform["tls"], ingressClassName: string) {
  const server = tls.staging ? ACME.staging : ACME.production;
  const issuer = (name: string, solvers: unknown[]) => ({
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name },
    spec: { acme: { server, email: tls.email, privateKeySecretRef: { name: `${name}-account` }, solvers } },
  });
  // cert-manager's HTTP-01 solver Service defaults to NodePort ("If unset, defaults to NodePort":
  // cert-manager v1.19.1 pkg/apis/acme/v1/types_issuer.go), and creator namespaces allow no
  // NodePorts (their quota): ClusterIP, which is all the shared ingress controller needs.
  const issuers = [issuer(http01IssuerName(tls), [{ http01: { ingress: { ingressClassName, serviceType: "ClusterIP" } } }])];
  if (tls.wildcard) {
    issuers.push(
      issuer(dns01IssuerName(tls), [{ dns01: { cloudflare: { apiTokenSecretRef: CLOUDFLARE_TOKEN_SECRET } } }]),
    );
  }
  return issuers;
}

/** The *.<domain> certificate, in the ingress controller's namespace, and Traefik's default TLS store using it. */
export function wildcardCertificate(platform: Platform, ingressNamespace: string) {
  return [
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "platform-wildcard", namespace: ingressNamespace },
      spec: {
        secretName: WILDCARD_SECRET,
        dnsNames: [platform.domain, `*.${platform.domain}`],
        issuerRef: { kind: "ClusterIssuer", name: dns01IssuerName(platform.tls) },
      },
    },
    {
      apiVersion: "traefik.io/v1alpha1",
      kind: "TLSStore",
      metadata: { name: "default", namespace: ingressNamespace },
      spec: { defaultCertificate: { secretName: WILDCARD_SECRET } },
    },
  ];
}
