/**
 * npm run upgrade -- (--stack <name> | --config <file>) [--ghost <image>] [--sqld <image>]
 *                    --canaries <a,b> [--wave-size <n>] [--dry-run] [--json] …
 * npm run upgrade -- (--stack <name> | --config <file>) --rollback [<a,b>]
 *
 * Moves a stack's creators to a new Ghost and/or sqld image in waves, canaries
 * first, each wave checked before the next (scripts/upgrade/run-waves.ts), through
 * the stack file's `creator-platform:rollout` and the real `pulumi up`; the
 * runbook is docs/runbooks/upgrade-in-waves.md. Exit codes: 0 done (or nothing
 * to do, or planned under --dry-run), 1 a wave failed, the rollback did not
 * come back, or the stack or cluster cannot be worked on, 2 bad arguments.
 * With --json, stdout is exactly one JSON document, errors included.
 */
import "./closed-pipe.ts";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { jsonRequested, printJson, reportError } from "./cli-output.ts";
import { readStackFile, projectKeys } from "../infra/config/stack-file.ts";
import { ConfigError, validateStackConfig } from "../infra/config/validate.ts";
import { fetchSite, kubeReader } from "./upgrade/rollout-state.ts";
import { interruptAll, pulumiUp, refreshDeployments } from "./upgrade/pulumi.ts";
import { DEFAULT_TIMING, type Runtime, UpgradeError, type UpgradeReport, planUpgrade, rollback, upgrade } from "./upgrade/run-waves.ts";
import { WavePlanError } from "./upgrade/waves.ts";
import { resolveStackFile } from "./stack-option.ts";

interface Options {
  stack?: string;
  config?: string;
  ghost?: string;
  sqld?: string;
  canaries?: string[];
  waveSize: number;
  rollback?: string[] | true;
  dryRun?: boolean;
  json?: boolean;
  pulumi: string;
  policyPack?: string;
  kubeconfig?: string;
  context?: string;
  checkUrl: boolean;
  urlTemplate?: string;
  waveTimeout: number;
  siteTimeout: number;
}

const json = jsonRequested();
const print = printJson;

const ids = (option: string) => (value: string) => {
  const list = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (list.length === 0) throw new InvalidArgumentError(`${option} takes creator ids separated by commas, such as ann,ben`);
  return list;
};

const whole = (option: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${option}: "${value}" is not a whole number of at least ${min}`);
  return n;
};

/** An image pinned to a version or digest: never `latest`, never untagged (infra/images.ts: pinned images). */
const pinnedImage = (option: string) => (value: string) => {
  if (/\s/.test(value) || value === "") throw new InvalidArgumentError(`${option}: "${value}" is not an image reference`);
  if (value.includes("@sha256:")) return value;
  const name = value.slice(value.lastIndexOf("/") + 1);
  const tag = name.includes(":") ? name.slice(name.indexOf(":") + 1) : "";
  if (tag === "" || tag === "latest") throw new InvalidArgumentError(`${option}: pin a version or digest (${value} is ${tag === "" ? "untagged" : "latest"}), e.g. ghcr.io/creator-platform/ghost-libsql:6.66.0-libsql0.5.29-r1`);
  return value;
};

const ABOUT =
  "Move a stack's creators to a new Ghost and/or sqld image in waves: the canaries first, then --wave-size creators at a time in the " +
  "stack's order (suspended and retired ones with the last wave). Each wave is added to the stack file's creator-platform:rollout, " +
  "deployed with `pulumi up` and checked (rollout complete on the new images, the site answering) before the next; the first failure " +
  "stops the command and says how to roll back. When every wave passed, images.* name the new images and rollout is removed. " +
  "Nothing surges: Ghost keeps its Recreate strategy and one replica.";

const program = new Command("upgrade")
  .description(ABOUT)
  .addOption(new Option("-s, --stack <name>", "stack name (stacks/Pulumi.<name>.yaml)").conflicts("config"))
  .addOption(new Option("-c, --config <file>", "path to a stack file (in a project's stacks/ directory)"))
  .option("--ghost <image>", "the new Ghost image", pinnedImage("--ghost"))
  .option("--sqld <image>", "the new sqld image", pinnedImage("--sqld"))
  .option("--canaries <ids>", "the first wave: active creators, comma-separated", ids("--canaries"))
  .option("--wave-size <n>", "creators per wave after the canaries", whole("--wave-size", 1), 10)
  .addOption(
    new Option("--rollback [ids]", "put these creators (comma-separated; default: every creator of the rollout) back on images.*, pulumi up, check them")
      .argParser(ids("--rollback"))
      .conflicts(["ghost", "sqld", "canaries", "dryRun"]),
  )
  .option("--dry-run", "print the waves; write and deploy nothing, read no cluster")
  .option("--json", "print the report (or the error) as one JSON document")
  .option("--pulumi <path>", "the pulumi CLI", "pulumi")
  .option("--policy-pack <dir>", "run pulumi up with this policy pack (the deploy workflow uses: policy)")
  .option("--kubeconfig <file>", "the cluster's kubeconfig (default: KUBECONFIG or ~/.kube/config; required for civo and linode stacks)")
  .option("--context <name>", "kube context (default: the stack's cluster.context, else the current one)")
  .option("--no-check-url", "do not GET each rolled-out creator's site (said in the report)")
  .option("--url-template <url>", "each creator's site, {id} replaced by its id (default: <scheme>://<id>.<platform domain>/)")
  .option("--wave-timeout <minutes>", "a wave fails when not rolled out this long after its pulumi up started", whole("--wave-timeout", 1), 20)
  .option("--site-timeout <seconds>", "how long a rolled-out site may take to answer 2xx/3xx", whole("--site-timeout", 1), 120)
  .addHelpText(
    "after",
    "\nExamples:\n" +
      "  npm run upgrade -- --stack civo-lon1 --ghost ghcr.io/creator-platform/ghost-libsql:6.66.0-libsql0.5.29-r1 --canaries alice,bob --wave-size 20 --dry-run\n" +
      "  npm run upgrade -- --stack civo-lon1 --ghost … --canaries alice,bob --wave-size 20 --kubeconfig ~/.kube/civo-lon1 --policy-pack policy\n" +
      "  npm run upgrade -- --stack civo-lon1 --rollback carol,dave\n" +
      "Run the same upgrade command again after a fix: it resumes after the creators already in rollout.creators.\n" +
      "Exit codes: 0 done, 1 a wave failed (the report says how to roll back) or the stack or cluster cannot be worked on, 2 bad arguments.\n" +
      "Runbook: docs/runbooks/upgrade-in-waves.md",
  )
  .exitOverride()
  .showHelpAfterError("(npm run upgrade -- --help lists the options)");

function usage(message: string): never {
  throw new CommanderError(2, "upgrade.usage", message);
}

function runtime(options: Options, file: string): Runtime {
  const config = validateStackConfig(projectKeys(readStackFile(file).config), file);
  const cluster = config.cluster;
  if (cluster.provider !== "existing" && !options.kubeconfig && !process.env.KUBECONFIG) {
    usage(`the stack's cluster is made by the program (${cluster.provider}): give --kubeconfig <file> for it (README: Deploy to Civo or Linode)`);
  }
  const context = options.context ?? (cluster.provider === "existing" ? cluster.context : undefined);
  const scheme = config.platform.tls.mode === "off" ? "http" : "https";
  const urlOf = (id: string) => (options.urlTemplate ? options.urlTemplate.replaceAll("{id}", id) : `${scheme}://${id}.${config.platform.domain}/`);
  const timing = { ...DEFAULT_TIMING, waveTimeoutMs: options.waveTimeout * 60_000, siteTimeoutMs: options.siteTimeout * 1000 };
  return {
    cluster: kubeReader({ kubeconfig: options.kubeconfig, context }),
    pulumiUp: (stack, cwd) => pulumiUp({ pulumi: options.pulumi, stack, cwd, upArgs: options.policyPack ? ["--policy-pack", options.policyPack] : [] }),
    refresh: (stack, cwd, ids) => refreshDeployments({ pulumi: options.pulumi, stack, cwd }, ids),
    site: options.checkUrl ? (creator) => fetchSite(urlOf(creator.id), 10_000) : undefined,
    siteSkipped: "--no-check-url",
    timing,
    log: json ? () => {} : (line) => process.stdout.write(`${line}\n`),
    progress: !json,
  };
}

function render(report: UpgradeReport): void {
  if (json) {
    print(report);
    return;
  }
  if (report.outcome === "planned") {
    process.stdout.write(`Stack ${report.stack}: ghost ${report.from.ghost} -> ${report.to.ghost}, sqld ${report.from.sqld} -> ${report.to.sqld}\n`);
    if (report.resumed.length > 0) process.stdout.write(`  already on the new images: ${report.resumed.join(", ")}\n`);
    for (const w of report.waves) {
      const idle = w.idle.length > 0 ? ` (run nothing: ${w.idle.join(", ")})` : "";
      process.stdout.write(`  wave ${w.index}${w.kind === "canaries" ? " (canaries)" : ""}: ${w.creators.join(", ")}${idle}\n`);
    }
  }
  const failed = report.outcome === "failed";
  const wave = report.waves.find((w) => w.status === "failed");
  if (failed && wave?.failure?.pulumi) process.stderr.write(`pulumi up, last lines:\n${wave.failure.pulumi.replace(/^/gm, "  | ")}\n`);
  (failed ? process.stderr : process.stdout).write(`${report.message}\n`);
}

function failure(error: unknown): number {
  // Every command's error report (scripts/cli-output.ts), with the kind of failure; commander has
  // written its own usage errors to stderr (not this command's own, upgrade.usage).
  const said = error instanceof CommanderError && error.code !== "upgrade.usage";
  const say = (kind: string, message: string, extra: Record<string, unknown> = {}) =>
    reportError(message, kind === "usage" ? 2 : 1, { kind, ...extra }, kind === "usage" && said);
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return 0; // --help
    say("usage", error.message.replace(/^error: /, ""));
    return 2;
  }
  if (error instanceof WavePlanError) {
    say("usage", `${error.message}. Nothing was written.`);
    return 2;
  }
  if (error instanceof ConfigError) {
    say("invalid-stack", `${error.message}\nNothing was written.`, { file: error.source, problems: error.problems });
    return 1;
  }
  if (error instanceof UpgradeError) {
    say(error.kind, error.message);
    return error.kind === "usage" ? 2 : 1;
  }
  say("failed", `the upgrade failed: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

async function main(): Promise<number> {
  await program.parseAsync();
  const options = program.opts<Options>();
  const file = resolveStackFile(program, options);
  const stackArg = options.config ? `--config ${file}` : `--stack ${options.stack ?? ""}`;
  let report: UpgradeReport;
  if (options.rollback !== undefined) {
    report = await rollback({ file, stackArg, creators: options.rollback === true ? undefined : options.rollback }, runtime(options, file));
  } else {
    if (!options.ghost && !options.sqld) usage("give the new image: --ghost <image>, --sqld <image> or both");
    if (!options.canaries) usage("give --canaries <ids>: the active creators that take the new images first");
    const request = { file, stackArg, images: { ghost: options.ghost, sqld: options.sqld }, canaries: options.canaries, waveSize: options.waveSize, dryRun: options.dryRun === true };
    // A dry run reads no cluster and needs no kubeconfig.
    report = options.dryRun ? planUpgrade(request).report : await upgrade(request, runtime(options, file));
  }
  render(report);
  return report.outcome === "failed" ? 1 : 0;
}

// Ctrl-C: Pulumi (in its own process group) is asked to cancel once, and the report says where it stopped.
let stopping = false;
process.on("SIGINT", () => {
  if (stopping) process.exit(130);
  stopping = true;
  if (!json) process.stderr.write("\nCtrl-C: pulumi up is cancelling (Ctrl-C again quits at once, which may leave Pulumi's state behind the cluster)\n");
  interruptAll("stopped by Ctrl-C");
});

try {
  process.exitCode = await main();
} catch (error) {
  process.exitCode = failure(error);
}
