// Types of decide.mjs for the TypeScript side (the renderer's tests); the behaviour is documented there.

export declare const DEFAULTS: Readonly<{
  KUBERNETES_API: string;
  TOKEN_FILE: string;
  CA_FILE: string;
  SQLD_URL_TEMPLATE: string;
  SLEEP_ENGINE_URL: string;
  SLEEP_INSTANCE_TEMPLATE: string;
  NAMESPACE: string;
  SCHEDULE_CONFIGMAP: string;
  TOKEN_SECRET_TEMPLATE: string;
  TOKEN_SECRET_KEY: string;
  RUN_INTERVAL_SECONDS: string;
  PLAN_SLEEP_AFTER_SECONDS: string;
  MIN_SESSION_SECONDS: string;
  WAKE_MARGIN_SECONDS: string;
  WAKE_TIMEOUT_SECONDS: string;
  CONCURRENCY: string;
}>;
export type Setting = keyof typeof DEFAULTS;

export declare const CREATOR_NAMESPACE_PREFIX: string;
export declare const GHOST_DEPLOYMENT: string;
export declare const SLEEPING_SELECTOR: string;
export declare const PLAN_LABEL: string;
export declare const SCHEDULED_SQL: string;

export interface SleepingCreator {
  id: string;
  plan?: string;
  awake: boolean;
}
/** creator id → ISO time of its next scheduled post (the ConfigMap's data). */
export type Schedule = Record<string, string>;
export interface Wake {
  id: string;
  /** The recorded time, ISO. */
  at: string;
  asleep: boolean;
  sessionSeconds: number;
}
export interface DeploymentLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  status?: { readyReplicas?: number };
}
export type HranaValue = { type: "null" } | { type: "text"; value: string } | { type: "integer"; value: string } | { type: "float"; value: number } | { type: "blob"; base64: string };
export interface PipelineResponse {
  results?: Array<
    | { type: "ok"; response: { type: "execute"; result: { cols?: Array<{ name?: string | null }>; rows: HranaValue[][] } } | { type: "close" } }
    | { type: "error"; error: { message: string; code?: string | null } }
  >;
}

export declare function fill(template: string, id: string): string;
export declare function sleepingCreator(deployment: DeploymentLike): SleepingCreator | undefined;
export declare function ghostTime(value: unknown): number | undefined;
export declare function nextScheduled(values: readonly unknown[], now: number): number | undefined;
export declare function nextWakes(input: {
  previous: Readonly<Record<string, string | undefined>>;
  creators: readonly SleepingCreator[];
  observed: ReadonlyMap<string, readonly unknown[]>;
  now: number;
}): Schedule;
export declare function dueNow(input: {
  schedule: Readonly<Record<string, string | undefined>>;
  creators: readonly SleepingCreator[];
  now: number;
  intervalMs: number;
  minSessionMs: number;
  sessionMsByPlan?: Readonly<Record<string, number>>;
  marginMs: number;
}): Wake[];
export declare function planSessions(json: string): Record<string, number>;
export declare function sameSchedule(a: Schedule, b: Schedule): boolean;
export declare function pipelineRequest(sql: string): {
  baton: null;
  requests: [{ type: "execute"; stmt: { sql: string; want_rows: true } }, { type: "close" }];
};
export declare function firstColumn(response: PipelineResponse): Array<string | number | null>;
export declare function wakeUrl(settings: { engineUrl: string; instanceTemplate: string; timeoutSeconds: number }, wake: Pick<Wake, "id" | "sessionSeconds">): string;
