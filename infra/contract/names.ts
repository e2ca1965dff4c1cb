/**
 * Names the platform keeps for itself, in one place. A creator id becomes the
 * namespace `creator-<id>` and the host `<id>.<platform domain>`; these ids are
 * refused because the host is one the platform serves or may serve itself, or
 * one people would take for the platform's own.
 */
export const RESERVED_CREATOR_IDS: Readonly<Record<string, string>> = {
  www: "the platform's own site",
  api: "the platform's API",
  admin: "the platform's administration",
  app: "the platform's application",
  status: "the platform's status page",
  help: "the platform's help pages",
  docs: "the platform's documentation",
  mail: "the platform's mail host",
  smtp: "the platform's mail relay",
  ops: "the platform's operations namespace and tools",
  platform: "the platform itself (namespace creator-platform)",
  monitoring: "the platform's monitoring stack",
  grafana: "the platform's dashboards",
  prometheus: "the platform's metrics",
  alertmanager: "the platform's alerts",
  traefik: "the platform's ingress controller",
  "cert-manager": "the platform's certificate manager",
  acme: "certificate issuance (Let's Encrypt)",
  "kube-system": "Kubernetes itself",
};

/** The CreatorSite component's Pulumi type token (creator-platform:<module>:<Type>). */
export const CREATOR_SITE_TYPE = "creator-platform:creator:CreatorSite";

/** Stack-config keys that must be Pulumi secrets, never plain text in a stack file. */
export const SECRET_KEYS = [
  "sqldKeySeed",
  "smtpPassword",
  "cloudflareApiToken",
  "backupAccessKeyId",
  "backupSecretAccessKey",
  "imagePullPassword",
] as const;
