/** `telem bundle build|verify|inspect`: signed policy bundles, built offline and verified against keys pinned locally. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { formatDuration, formatSize, parseDuration } from '../../schemas/units.js';
import { formatKeyPath, type Diagnostic } from '../../engine/diagnostics/diagnostic.js';
import { TelemError } from '../../engine/errors/telem-error.js';
import { type BundleManifest, type ParsedBundle, buildBundle, fileStates, parseBundle, signatureStates, unverifiedPolicy, verifyBundle } from '../../engine/fleet/bundle.js';
import { enforceFloor } from '../../engine/fleet/floor.js';
import { parsePrivateKey } from '../../engine/fleet/keys.js';
import { type ManifestRollout, parseRolloutFile, pastDeadline, percentAt, resolveRollout, stepAt } from '../../engine/fleet/rollout.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, exitStatusOf } from '../exit-codes.js';
import { CommandFailure, loadPolicyOrFail } from '../command-failure.js';
import { reportError } from '../report-error.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number from 0');
  return Number(value);
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms === 0) throw new InvalidArgumentError('expected a duration such as "30d", "12h" or "90m"');
  return ms;
}

function isoTime(value: string): Date {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO 8601 time such as "2026-12-03T12:00:00Z"');
  return new Date(ms);
}

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CommandFailure(`cannot read ${what} ${file}: ${(error as Error).message}`, EXIT_USAGE);
  }
}

const showKey = (key: string) => (key.length > 24 ? `${key.slice(0, 20)}…` : key);
const identity = (manifest: BundleManifest) => `channel "${manifest.channel}", sequence ${manifest.sequence}, policy "${manifest.policy.name}" revision ${manifest.policy.revision}`;
const floorLine = (diagnostic: Diagnostic) => `${formatKeyPath(diagnostic.path)}: ${diagnostic.message} (${diagnostic.code})`;

interface BuildOptions {
  key: string[];
  channel: string;
  sequence: number;
  expires: number;
  rollout?: string;
  previous?: string;
  output: string;
}

async function runBuild(policyFile: string, options: BuildOptions): Promise<number> {
  const { policy, file } = await loadPolicyOrFail(policyFile, { warnings: true });
  const keys = options.key.map((keyFile) => {
    const key = parsePrivateKey(readFile(keyFile, 'key file').toString('utf8'), keyFile);
    const mode = statSync(keyFile).mode & 0o777;
    if ((mode & 0o077) !== 0)
      process.stderr.write(`telem bundle build: warning: ${keyFile} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); telem keygen writes keys 0600\n`);
    return key;
  });
  const now = new Date();
  let rollout;
  if (options.rollout !== undefined) {
    let value: unknown;
    try {
      value = parseYaml(readFile(options.rollout, 'rollout file').toString('utf8')) as unknown;
    } catch (error) {
      if (error instanceof CommandFailure) throw error;
      throw new CommandFailure(`${options.rollout}: not YAML or JSON: ${(error as Error).message}`, EXIT_USAGE);
    }
    const checked = parseRolloutFile(value);
    if (typeof checked === 'string') throw new CommandFailure(`${options.rollout}: ${checked}`, EXIT_INVALID);
    rollout = resolveRollout(checked, now);
  }
  let previous;
  if (options.previous !== undefined) {
    const parsed = parseBundle(readFile(options.previous, 'previous bundle'));
    previous = { manifest: parsed.manifest, policy: unverifiedPolicy(parsed) };
  }
  const bytes = buildBundle({
    policy,
    sources: new Map([[path.basename(file), readFile(file, 'policy')]]),
    keys,
    channel: options.channel,
    sequence: options.sequence,
    expiresMs: options.expires,
    now,
    ...(rollout === undefined ? {} : { rollout }),
    ...(previous === undefined ? {} : { previous }),
  });
  try {
    writeFileSync(options.output, bytes, { mode: 0o644 });
  } catch (error) {
    throw new CommandFailure(`cannot write ${options.output}: ${(error as Error).message}`, EXIT_USAGE);
  }
  const { manifest } = parseBundle(bytes);
  process.stdout.write(`${options.output}: ${identity(manifest)}, valid until ${manifest.not_after}\n`);
  if (manifest.plan) {
    const { add, change, remove } = manifest.plan.summary;
    process.stdout.write(`plan against sequence ${manifest.plan.previous.sequence}: ${add} to add, ${change} to change, ${remove} to remove\n`);
  }
  if (manifest.rollout) {
    const { id, steps, start } = manifest.rollout;
    process.stdout.write(`rollout "${id}": ${steps.length} step${steps.length === 1 ? '' : 's'} from ${start} (${steps.map((step) => `${step.percent}%`).join(' → ')})\n`);
  }
  return EXIT_OK;
}

interface VerifyOptions {
  trustedKey?: string[];
  policy?: string;
  channel?: string;
  applied?: number;
}

async function runVerify(file: string, options: VerifyOptions): Promise<number> {
  const local = options.policy === undefined ? undefined : (await loadPolicyOrFail(options.policy, { warnings: true })).policy;
  const trustedKeys = [...(options.trustedKey ?? []), ...(local?.fleet.trusted_keys ?? [])];
  if (trustedKeys.length === 0) {
    throw new CommandFailure(
      local === undefined ? 'give --trusted-key ed25519:… (or --policy P to take fleet.trusted_keys from a policy)' : `${options.policy} has no fleet.trusted_keys`,
      EXIT_USAGE,
    );
  }
  const channel = options.channel ?? local?.fleet.channel;
  const bytes = readFile(file, 'bundle');
  const verified = verifyBundle(bytes, { trustedKeys, channel, appliedSequence: options.applied });
  if (local !== undefined) {
    try {
      const { warnings } = enforceFloor(local, verified.policy);
      for (const diagnostic of warnings) process.stderr.write(`telem bundle verify: ${file}: warning: ${floorLine(diagnostic)}\n`);
    } catch (error) {
      if (!(error instanceof TelemError) || error.code !== 'bundle-floor') throw error;
      for (const diagnostic of error.diagnostics) process.stderr.write(`telem bundle verify: ${file}: refused by the local policy: ${floorLine(diagnostic)}\n`);
      return exitStatusOf(error.code);
    }
  }
  const { manifest } = verified;
  process.stdout.write(`${file}: verified: ${identity(manifest)}, valid until ${manifest.not_after}, signed by ${verified.signedBy.map(showKey).join(', ')}\n`);
  return EXIT_OK;
}

interface InspectOptions {
  trustedKey?: string[];
  format: 'text' | 'json';
  at?: Date;
}

/** Which step and share of the fleet a rollout has due at `at`. */
function due(rollout: ManifestRollout, at: Date) {
  const time = at.getTime();
  return { at: at.toISOString(), step: stepAt(rollout, time), percent: percentAt(rollout, time), past_deadline: pastDeadline(rollout, time) };
}

function rolloutLines(rollout: ManifestRollout, at: Date): string[] {
  const { gates } = rollout;
  const lines = [`  rollout           "${rollout.id}" from ${rollout.start}, deadline ${rollout.deadline ?? 'none'}`];
  rollout.steps.forEach((step, index) => {
    const ends = new Date(Date.parse(step.begins) + step.bake).toISOString();
    lines.push(`    step ${index}  ${`${step.percent}%`.padStart(4)}  ${step.begins} → ${ends}  bake ${formatDuration(step.bake)}  max_failure_rate ${step.max_failure_rate}`);
  });
  const drops = Object.entries(gates.max_drops).map(([reason, count]) => `${reason} ${count}`);
  lines.push(
    `    gates  delivery failure ratio ≤ ${gates.max_delivery_failure_ratio}, drops ≤ ${drops.join(', ')}, spool growth ≤ ${formatSize(gates.max_spool_growth)}, restarts ≤ ${gates.max_restarts}, compare factor ${gates.compare_factor}`,
  );
  const { step, percent, past_deadline } = due(rollout, at);
  const when = past_deadline ? 'past the deadline: no more machines take it' : step === null ? 'before the first step: no machine takes it yet' : `step ${step}`;
  lines.push(`  due at ${at.toISOString()}: ${percent}% of the fleet (${when})`);
  return lines;
}

function inspectText(file: string, bundle: ParsedBundle, options: InspectOptions, now: Date): string {
  const { manifest } = bundle;
  const lines: string[] = [`bundle ${file}`];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(18)}${value}`);
  row('format', manifest.format);
  row('canonical form', bundle.canonical ? 'yes' : 'NO: the file was modified or reformatted after it was built (verify refuses it)');
  row('channel', manifest.channel);
  row('sequence', String(manifest.sequence));
  row('policy', `"${manifest.policy.name}" revision ${manifest.policy.revision} (sha256 ${manifest.policy.sha256})`);
  row('created', manifest.created);
  const left = Date.parse(manifest.not_after) - now.getTime();
  row('not_after', `${manifest.not_after} (${left <= 0 ? 'EXPIRED' : `${formatDuration(Math.floor(left / 1000) * 1000 || left)} left`})`);
  row('min_agent_version', manifest.min_agent_version);
  lines.push('  files');
  for (const state of fileStates(bundle))
    lines.push(`    ${state.name.padEnd(32)} ${String(state.size).padStart(8)} bytes  sha256 ${state.sha256.slice(0, 16)}…  ${state.state === 'ok' ? 'ok' : state.state.toUpperCase()}`);
  if (manifest.plan === null) lines.push('  plan              none (built without --previous)');
  else {
    const { previous, summary, actions } = manifest.plan;
    lines.push(
      `  plan against sequence ${previous.sequence} (policy "${previous.policy.name}" revision ${previous.policy.revision}): ${summary.add} to add, ${summary.change} to change, ${summary.remove} to remove`,
    );
    const symbol = { add: '+', change: '~', remove: '-' } as const;
    for (const action of actions)
      lines.push(
        `    ${symbol[action.kind]} ${action.entity} "${action.name}"${action.impact === 'neutral' ? '' : ` (${action.impact === 'data-loss' ? 'DATA LOSS' : 'PRIVACY'}: ${action.reason})`}`,
      );
  }
  if (manifest.rollout === null) lines.push('  rollout           none (built without --rollout): every machine takes it at its next poll');
  else lines.push(...rolloutLines(manifest.rollout, options.at ?? now));
  lines.push('  signatures');
  for (const state of signatureStates(bundle, options.trustedKey)) {
    const trust = state.trusted === undefined ? 'trust not checked (no --trusted-key)' : state.trusted ? 'trusted' : 'NOT TRUSTED';
    lines.push(`    ${state.key}  ${state.valid ? 'valid' : 'INVALID'}, ${trust}`);
  }
  if (bundle.signatures.length === 0) lines.push('    none');
  return `${lines.join('\n')}\n`;
}

function runInspect(file: string, options: InspectOptions): number {
  const bundle = parseBundle(readFile(file, 'bundle'), { strict: false });
  const now = new Date();
  if (options.format === 'json') {
    const report = {
      manifest: bundle.manifest,
      files: fileStates(bundle),
      signatures: signatureStates(bundle, options.trustedKey),
      expired: Date.parse(bundle.manifest.not_after) <= now.getTime(),
      rollout_due: bundle.manifest.rollout === null ? null : due(bundle.manifest.rollout, options.at ?? now),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(inspectText(file, bundle, options, now));
  }
  return EXIT_OK;
}

/** Runs one subcommand: TelemErrors and CommandFailures become one line on stderr and their exit status. */
async function run(name: string, file: string, action: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    if (error instanceof CommandFailure) {
      process.stderr.write(`telem bundle ${name}: ${error.message}\n`);
      process.exitCode = error.status;
    } else if (error instanceof TelemError) {
      process.exitCode = reportError(`telem bundle ${name}`, error, (e) => (e.code.startsWith('bundle-') ? `${file}: ` : ''));
    } else throw error;
  }
}

export function bundleCommand(): Command {
  const bundle = new Command('bundle')
    .summary('build, verify and inspect signed policy bundles')
    .description(
      "A bundle is one file: a manifest (format telem-bundle/1, channel, sequence, the policy's name and revision, created, " +
        'not_after, min_agent_version, the sha256 of each file, the plan against the previous bundle, the rollout), the resolved ' +
        'policy, the source it was built from, and Ed25519 signatures over the canonical JSON of the manifest. Build and sign ' +
        'offline, then publish the file at fleet.source (a URL or a path): agents poll it and apply a bundle signed by a key in their local ' +
        'fleet.trusted_keys that passes every check of telem bundle verify --policy, without a restart.',
    );
  bundle.addCommand(
    new Command('build')
      .exitOverride()
      .showHelpAfterError('(run "telem bundle build --help" for usage)')
      .summary('validate a policy and write it as a signed bundle')
      .description(
        'Validate and resolve POLICY (a policy file or telemetrics.conf) and write one bundle file signed with each --key.\n\n' +
          'Exit status: 0 written, 1 the policy (or the rollout file) has errors, 2 usage error or unreadable file.',
      )
      .argument('<policy>', 'the policy to ship')
      .requiredOption('--key <keyfile>', 'private key from telem keygen (repeat to sign with several)', collect)
      .requiredOption('--channel <name>', 'the channel the bundle is for, such as "stable"')
      .requiredOption('--sequence <n>', "the bundle's sequence number: each new bundle of a channel takes a higher one", wholeNumber)
      .addOption(new Option('--expires <duration>', 'how long the bundle stays valid').default(duration('30d'), '30d').argParser(duration))
      .option('--rollout <file>', 'YAML or JSON rollout file (id, start, steps of percent and bake, gates, deadline; docs/rollout.md): machines take the bundle step by step')
      .option('--previous <bundle>', 'the bundle this one replaces: its plan summary goes into the manifest')
      .requiredOption('-o, --output <file>', 'the bundle file to write')
      .action(async (policyFile: string, options: BuildOptions) => run('build', policyFile, () => runBuild(policyFile, options))),
  );
  bundle.addCommand(
    new Command('verify')
      .exitOverride()
      .showHelpAfterError('(run "telem bundle verify --help" for usage)')
      .summary("check a bundle's signatures, hashes, expiry, channel and sequence")
      .description(
        'Verify FILE completely: its format, that every signature by a trusted key verifies over the manifest (and that there is ' +
          'one), that every file matches its sha256, that it has not expired, and with --channel / --applied its channel and ' +
          "sequence. With --policy P the trusted keys and the channel come from P's fleet settings, and the bundle's policy is " +
          "checked against P's floor: it may not lift consent.require_opt_in nor send outside fleet.allowed_destinations.\n\n" +
          'Exit status: 0 verified, 1 refused (one line saying why), 2 usage error or unreadable file.',
      )
      .argument('<file>', 'the bundle')
      .option('--trusted-key <key>', 'a public key "ed25519:<base64>" whose signatures are accepted (repeatable)', collect)
      .option('--policy <policy>', 'the local policy: its fleet.trusted_keys, fleet.channel and floor apply')
      .option('--channel <name>', 'refuse a bundle for another channel')
      .option('--applied <n>', 'the sequence already applied: refuse a bundle that is not above it', wholeNumber)
      .action(async (file: string, options: VerifyOptions) => run('verify', file, () => runVerify(file, options))),
  );
  bundle.addCommand(
    new Command('inspect')
      .exitOverride()
      .showHelpAfterError('(run "telem bundle inspect --help" for usage)')
      .summary("show a bundle's manifest, plan summary and signature state")
      .description(
        "Show what FILE says and what holds: each file's hash, each signature (valid, and trusted with --trusted-key), and for a staged rollout its steps with their time windows, its gates and the share of the fleet due now (or --at TIME). " +
          'Exit status: 0 shown, 1 not a readable bundle, 2 usage error or unreadable file.',
      )
      .argument('<file>', 'the bundle')
      .option('--trusted-key <key>', 'mark signatures by this key as trusted (repeatable)', collect)
      .option('--at <time>', 'show the share of the fleet a staged rollout has due at this ISO 8601 time (default: now)', isoTime)
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
      .action(async (file: string, options: InspectOptions) => run('inspect', file, () => runInspect(file, options))),
  );
  return bundle;
}
