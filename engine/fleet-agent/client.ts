/**
 * The agent's fleet client, after OPA's bundle plugin: it polls fleet.source (ETag/304, jitter
 * between poll_interval and twice it, Retry-After honoured), and applies a new bundle only once
 * all of it holds: a trusted key signed it, every byte is what was signed, it is for this channel,
 * its sequence is above the active one, it has not expired, it does not cross the local floor and
 * it compiles. It is applied through the same path as a local change (the host's apply); on any
 * failure the running policy stays. The active, previous and last failed bundles are kept on disk
 * (store.ts), and the agent starts from the active one whatever the source does.
 *
 * The local policy stays the floor: at every local change the active bundle is checked again
 * against the new local policy (keys, channel, floor; not its expiry, which guards downloads) and
 * re-applied on top of it, or, when the new floor refuses it, dropped: the agent runs the local
 * policy and the state is `rolled_back`, naming the bundle and the reason.
 *
 * States: downloading → verifying → applying → applied → healthy (every component ok once it
 * settled), or failed (the bundle was refused; the running policy stays) and rolled_back (an
 * applied bundle was undone). Every change is reported to the host (which emits a status record).
 *
 * A bundle with a staged rollout (docs/rollout.md) is verified, kept as offered.bundle, and taken
 * only once this machine's private cohort bucket falls inside the step in force and the collector's
 * control document (fleet.control) does not halt it. Then the agent bakes it: it checks the gates
 * (engine/fleet/gates.ts) against its own counters until the step's bake ends (healthy), and rolls
 * back to the bundle before when one fails or the rollout is halted.
 */
import { createHash } from 'node:crypto';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { formatKeyPath } from '../diagnostics/diagnostic.js';
import { TelemError } from '../errors/telem-error.js';
import { parseBundle, verifyBundle, type VerifiedBundle } from '../fleet/bundle.js';
import { cohortBucket } from '../fleet/cohort.js';
import { enforceFloor } from '../fleet/floor.js';
import { type DataCounters, type GateResult, countersSince, failedGate } from '../fleet/gates.js';
import { type ManifestRollout, nextChangeAt, stepAt } from '../fleet/rollout.js';
import type { Logger } from '../log/logger.js';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';
import { compileCheck } from '../validate/compile-check.js';
import { cohortSeed } from './cohort-seed.js';
import { fetchHalts, type Halts } from './control.js';
import { type BakeWindow, decide, NO_COUNTS, type RolloutProgress, type RolloutStatus, rolloutStatus } from './rollout-progress.js';
import { fetchBundle, type FetchOptions, type FetchResult } from './source.js';
import { type BundleRef, type FleetError, type FleetState, FleetStore, type PersistedFleetState } from './store.js';

/** What the fleet client says about itself: in the status file, `telem status` and the status record. */
export interface FleetStatus {
  readonly source: string | null;
  readonly channel: string | null;
  readonly state: FleetState | null;
  readonly active: BundleRef | null;
  readonly previous: BundleRef | null;
  readonly desired: number | null;
  readonly lastFailed: (BundleRef & { readonly reason: string }) | null;
  readonly lastPollAt: string | null;
  readonly lastDownloadAt: string | null;
  readonly lastActivationAt: string | null;
  readonly lastError: FleetError | null;
  /** When the next poll is due. */
  readonly nextPollAt: string | null;
  /** The staged rollout of the newest rollout bundle seen, or null. */
  readonly rollout: RolloutStatus | null;
}

/** The agent's counters the gates read. */
export interface HostCounters extends DataCounters {
  readonly spoolBytes: number;
}

export interface FleetHost {
  /** The local policy in force now (the floor, and where the fleet settings come from). */
  local(): ResolvedPolicy;
  /** Runs `policy` (the same path as a local change; bundle null for the local policy). Throws to refuse it, leaving the running policy; a thrown RolledBackError says it was undone half way. */
  apply(policy: ResolvedPolicy, bundle: VerifiedBundle | null): void;
  /** Whether every component of the agent is ok (destinations delivering, the spool writable). */
  healthy(): boolean;
  /** The agent's counters since it started (drops since the counters were first kept), and the spool's size now. */
  counters(): HostCounters;
  /** Whether the intake socket is listening. */
  listening(): boolean;
  /** Called after every change of state. */
  onChange(status: FleetStatus): void;
}

/** Thrown by FleetHost.apply when applying failed after it began and the old policy was put back. */
export class RolledBackError extends Error {}

export interface FleetClientOptions {
  readonly root: string;
  readonly logger: Logger;
  readonly host: FleetHost;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Replaces fetchBundle (tests). */
  readonly fetch?: (source: string, options: FetchOptions) => Promise<FetchResult>;
  /** Replaces fetchHalts (tests). */
  readonly fetchHalts?: (base: string, channel: string) => Promise<Halts>;
}

/** What the agent runs after `rebase`: the local policy, or the active bundle's on top of it. */
export interface BasePolicy {
  readonly policy: ResolvedPolicy;
  readonly bundle: VerifiedBundle | null;
}

/** The longest an applied bundle waits before its health is judged. */
const MAX_SETTLE_MS = 30_000;
/** How often a bake checks its gates: a tenth of the bake, between these. */
const MIN_BAKE_TICK_MS = 250;
const MAX_BAKE_TICK_MS = 10_000;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function reasonOf(error: unknown): { code: string; message: string; fields: string[] } {
  if (error instanceof TelemError) {
    const fields = error.diagnostics.filter((diagnostic) => diagnostic.severity === 'error' && diagnostic.path.length > 0).map((diagnostic) => formatKeyPath(diagnostic.path));
    const details = error.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').map((diagnostic) => `${formatKeyPath(diagnostic.path)}: ${diagnostic.message}`);
    return { code: error.code, message: details.length > 0 ? `${error.message}: ${details.join('; ')}` : error.message, fields };
  }
  return { code: 'bundle-apply', message: error instanceof Error ? error.message : String(error), fields: [] };
}

export class FleetClient {
  readonly #options: FleetClientOptions;
  readonly #store: FleetStore;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #fetch: (source: string, options: FetchOptions) => Promise<FetchResult>;
  readonly #fetchHalts: (base: string, channel: string) => Promise<Halts>;
  #state: PersistedFleetState;
  #source: string | null = null;
  #timer: LongTimeout | null = null;
  #settleTimer: LongTimeout | null = null;
  #stepTimer: LongTimeout | null = null;
  #bakeTimer: LongTimeout | null = null;
  /** The host's counters when this process's part of the bake began (they start again at every start). */
  #bakeBase: { readonly counters: HostCounters; readonly counted: DataCounters } | null = null;
  #nextPollAt: number | null = null;
  #polling: Promise<void> | null = null;
  #stopped = false;
  /** Whether rebase has run in this process (the first one is the agent's start). */
  #started = false;

  constructor(options: FleetClientOptions) {
    this.#options = options;
    this.#store = new FleetStore(options.root);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? fetchBundle;
    this.#fetchHalts = options.fetchHalts ?? fetchHalts;
    this.#state = this.#store.readState();
  }

  get store(): FleetStore {
    return this.#store;
  }

  status(): FleetStatus {
    const state = this.#state;
    return {
      source: this.#source,
      channel: state.channel,
      state: state.state,
      active: state.active,
      previous: state.previous,
      desired: state.desired,
      lastFailed: state.lastFailed,
      lastPollAt: state.lastPollAt,
      lastDownloadAt: state.lastDownloadAt,
      lastActivationAt: state.lastActivationAt,
      lastError: state.lastError,
      nextPollAt: this.#nextPollAt === null ? null : new Date(this.#nextPollAt).toISOString(),
      rollout: rolloutStatus(this.#state.rollout, this.#now()),
    };
  }

  /**
   * The policy to run under `local`: the active bundle's (checked again against `local`: keys,
   * channel, floor) with the local fleet settings, or `local` itself when there is no fleet source,
   * no active bundle, or the local policy refuses it now (then the bundle is dropped: rolled_back).
   * Called at start and at every local change; the caller applies what it returns. At start, a
   * rollout bundle still baking counts the start as a restart, and too many of them roll it back
   * here, before the agent runs it again.
   */
  rebase(local: ResolvedPolicy): BasePolicy {
    const { source, channel } = local.fleet;
    this.#source = source;
    const starting = !this.#started;
    this.#started = true;
    if (source === null) {
      this.#update({ channel: null, state: null });
      return { policy: local, bundle: null };
    }
    if (this.#state.channel !== channel) this.#update({ channel, desired: null, etag: null });
    const progress = this.#state.rollout;
    if (starting && progress?.bake) {
      const bake = { ...progress.bake, restarts: progress.bake.restarts + 1 };
      this.#update({ rollout: { ...progress, bake } });
      if (bake.restarts > progress.spec.gates.max_restarts) {
        const gate = { name: 'restarts', value: bake.restarts, threshold: progress.spec.gates.max_restarts };
        this.#options.logger.error(
          { sequence: progress.sequence, rollout: progress.id, restarts: bake.restarts },
          'the rollout bundle restarted the agent too often while baking; rolling back',
        );
        return this.#rollBack(local, gate, { apply: false });
      }
    }
    return this.#activeBase(local);
  }

  /** The active bundle's policy under `local`, or `local` when there is none or it is refused now (rolled_back). */
  #activeBase(local: ResolvedPolicy): BasePolicy {
    const bytes = this.#store.read('active');
    if (bytes === null || this.#state.active === null) return { policy: local, bundle: null };
    try {
      const base = this.#verifyKept(local, bytes);
      if (this.#state.state === null) this.#update({ state: 'applied' });
      return base;
    } catch (error) {
      const reason = reasonOf(error);
      this.#options.logger.error(
        { code: reason.code, fields: reason.fields, sequence: this.#state.active.sequence },
        `the active bundle cannot run under the local policy; running the local policy: ${reason.message}`,
      );
      const failed = this.#state.active;
      this.#store.write('last_failed', bytes);
      this.#store.demote();
      this.#cancelBake();
      const progress = this.#state.rollout;
      this.#update({
        state: 'rolled_back',
        previous: failed,
        active: null,
        lastFailed: { ...failed, at: this.#iso(), reason: `${reason.code}: ${reason.message}` },
        lastError: { at: this.#iso(), ...reason },
        ...(progress?.arm === 'candidate' && progress.sequence === failed.sequence
          ? { rollout: { ...progress, state: 'failed' as const, gate: { name: 'policy', value: null, threshold: null }, bake: null } }
          : {}),
      });
      return { policy: local, bundle: null };
    }
  }

  /** A bundle kept on disk, verified again under `local` (not its expiry: that guards downloads; one applied in time keeps running). */
  #verifyKept(local: ResolvedPolicy, bytes: Buffer): BasePolicy {
    const manifest = parseBundle(bytes).manifest;
    const now = new Date(Math.min(this.#now(), Date.parse(manifest.not_after) - 1));
    const bundle = verifyBundle(bytes, { trustedKeys: local.fleet.trusted_keys, channel: local.fleet.channel, now });
    const { policy } = enforceFloor(local, bundle.policy);
    this.#compiles(policy);
    return { policy, bundle };
  }

  /** Polls now, then on its schedule, while the local policy has a source; resumes a bake or a rollout waiting for its step. */
  start(): void {
    this.#schedule(0);
    const progress = this.#state.rollout;
    if (progress?.state === 'baking' && progress.bake) this.#resumeBake();
    else if (this.#state.state === 'applied') this.#scheduleSettle();
    this.#decide();
  }

  /**
   * After a local change: polls again at once when there is a source, downloading the bundle again
   * and checking even one refused before (the new local policy may allow it now).
   */
  restart(): void {
    if (this.#stopped) return;
    // Not a bundle the local policy just rolled back: that one comes back only as a new, higher sequence.
    this.#recheck = this.#state.state !== 'rolled_back';
    this.#update({ etag: null });
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.clear();
    this.#settleTimer?.clear();
    this.#stepTimer?.clear();
    this.#bakeTimer?.clear();
    this.#nextPollAt = null;
    await this.#polling;
    // What the bake counted since its last check, so a restart goes on from there.
    this.#saveBakeCounts();
  }

  /** One poll (exported for tests and for `restart`); never throws. */
  pollOnce(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = null;
    });
    return this.#polling;
  }

  #schedule(delayMs: number): void {
    this.#timer?.clear();
    this.#timer = null;
    this.#nextPollAt = null;
    if (this.#stopped || this.#options.host.local().fleet.source === null) return;
    this.#nextPollAt = this.#now() + delayMs;
    this.#timer = setLongTimeout(() => {
      void this.pollOnce().then(() => this.#schedule(this.#nextDelay()));
    }, delayMs).unref();
  }

  #retryAfterMs: number | undefined;
  /** The next bundle downloaded is checked even when it is the one refused last (after a local change). */
  #recheck = false;

  /** Between poll_interval and twice it, or what the server asked for when that is longer. */
  #nextDelay(): number {
    const interval = this.#options.host.local().fleet.poll_interval;
    const jittered = interval + Math.floor(this.#random() * interval);
    const asked = this.#retryAfterMs;
    this.#retryAfterMs = undefined;
    return asked !== undefined && asked > jittered ? asked : jittered;
  }

  async #poll(): Promise<void> {
    const local = this.#options.host.local();
    const { source } = local.fleet;
    if (source === null) return;
    await this.#pollControl(local);
    const before = this.#state.state;
    let result: FetchResult;
    try {
      result = await this.#fetch(source, {
        etag: this.#state.etag,
        onDownload: () => {
          // Only what is new is announced: a server without ETags downloads every time, quietly (after the first).
          if (this.#state.etag !== null || this.#state.lastDownloadAt === null || source.startsWith('/')) this.#setState('downloading');
        },
      });
    } catch (error) {
      const reason = reasonOf(error);
      this.#retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
      if (this.#state.lastError?.message !== reason.message)
        this.#options.logger.warn({ source, code: reason.code }, `cannot fetch the fleet bundle; keeping the running policy: ${reason.message}`);
      this.#update({ lastPollAt: this.#iso(), lastError: { at: this.#iso(), ...reason } });
      // A download that broke off changes nothing: back to the state before it.
      if (this.#state.state === 'downloading') this.#setState(before);
      this.#decide();
      return;
    }
    this.#retryAfterMs = result.retryAfterMs;
    if (result.kind === 'unchanged') {
      this.#update({ lastPollAt: this.#iso() });
      this.#checkHealth();
      this.#decide();
      return;
    }
    this.#update({ lastPollAt: this.#iso(), lastDownloadAt: this.#iso(), etag: result.etag });
    const hash = sha256(result.bytes);
    const recheck = this.#recheck;
    this.#recheck = false;
    const known = hash === this.#state.active?.sha256 || hash === this.#state.offered?.sha256 || (hash === this.#state.lastFailed?.sha256 && !recheck);
    if (known) {
      // Already running it, waiting for its step, or already refused it: nothing to do again.
      if (this.#state.state === 'downloading') this.#setState(before);
      this.#checkHealth();
      this.#decide();
      return;
    }
    // Checked against the local policy in force now: a local change may have come during the download.
    const current = this.#options.host.local();
    if (current.fleet.source !== source) {
      if (this.#state.state === 'downloading') this.#setState(before);
      return;
    }
    this.#apply(current, result.bytes, hash, before);
  }

  /** Reads fleet.control; on failure the last answer stands. */
  async #pollControl(local: ResolvedPolicy): Promise<void> {
    const { control, channel } = local.fleet;
    if (control === null) {
      if (Object.keys(this.#state.halts).length > 0) this.#update({ halts: {} });
      return;
    }
    try {
      const halts = await this.#fetchHalts(control, channel);
      const changed = JSON.stringify(halts) !== JSON.stringify(this.#state.halts);
      if (changed) this.#options.logger.info({ halted: Object.keys(halts) }, 'the control document changed');
      this.#update({ halts });
    } catch (error) {
      const reason = reasonOf(error);
      if (this.#state.lastError?.message !== reason.message) this.#options.logger.warn({ control, code: reason.code }, `${reason.message}; keeping the last control answer`);
      this.#update({ lastError: { at: this.#iso(), ...reason } });
    }
  }

  #apply(local: ResolvedPolicy, bytes: Buffer, hash: string, before: FleetState | null): void {
    const logger = this.#options.logger;
    let offered: { sequence: number | null; policy: BundleRef['policy'] } = { sequence: null, policy: null };
    try {
      const { manifest } = parseBundle(bytes, { strict: false });
      offered = { sequence: manifest.sequence, policy: { name: manifest.policy.name, revision: manifest.policy.revision } };
    } catch {
      // Not even a bundle: verifyBundle says why below.
    }
    this.#update({ desired: offered.sequence });
    this.#setState('verifying');
    const ref: BundleRef = { sequence: offered.sequence, sha256: hash, policy: offered.policy, at: this.#iso() };
    let stage = 'verifying';
    let bundle: VerifiedBundle;
    try {
      const applied = this.#state.active?.sequence ?? this.#state.previous?.sequence ?? undefined;
      bundle = verifyBundle(bytes, {
        trustedKeys: local.fleet.trusted_keys,
        channel: local.fleet.channel,
        now: new Date(this.#now()),
        ...(applied === undefined || applied === null ? {} : { appliedSequence: applied }),
      });
      const { policy, warnings } = enforceFloor(local, bundle.policy);
      for (const warning of warnings) logger.warn({ code: warning.code, field: formatKeyPath(warning.path) }, `bundle ${bundle.manifest.sequence}: ${warning.message}`);
      this.#compiles(policy);
      if (bundle.manifest.rollout !== null) {
        this.#offer(bundle, bytes, ref, before);
        return;
      }
      stage = 'applying';
      this.#setState('applying');
      this.#options.host.apply(policy, bundle);
    } catch (error) {
      this.#refused(error, bytes, ref, stage, offered.sequence);
      return;
    }
    this.#activate(ref, () => this.#store.promote(bytes));
    this.#cancelBake();
    this.#update({ rollout: null, offered: null });
    this.#store.remove('offered');
    this.#setState('applied');
    this.#scheduleSettle();
  }

  /** A bundle refused (verifying or applying): kept as last_failed, the running policy stays. */
  #refused(error: unknown, bytes: Buffer, ref: BundleRef, stage: string, sequence: number | null): void {
    const logger = this.#options.logger;
    const rolledBack = error instanceof RolledBackError;
    const reason = reasonOf(error);
    logger.error({ code: reason.code, fields: reason.fields, sequence, stage }, `fleet bundle refused; still running the previous policy: ${reason.message}`);
    try {
      this.#store.write('last_failed', bytes);
    } catch (writeError) {
      logger.warn({ err: writeError, dir: this.#store.dir }, 'cannot keep the refused bundle on disk');
    }
    this.#update({ lastFailed: { ...ref, reason: `${reason.code}: ${reason.message}` }, lastError: { at: this.#iso(), ...reason } });
    this.#setState(rolledBack ? 'rolled_back' : 'failed');
  }

  /** After host.apply took `ref`: keeps it on disk (with `keep`) and records it as active. */
  #activate(ref: BundleRef, keep: () => void): void {
    try {
      keep();
    } catch (error) {
      this.#options.logger.warn({ err: error, dir: this.#store.dir }, 'cannot keep the applied bundle on disk; a restart without the source runs the previous one');
    }
    this.#options.logger.info({ sequence: ref.sequence, policy: ref.policy, previous: this.#state.active?.sequence ?? null }, 'fleet bundle applied');
    this.#update({ previous: this.#state.active, active: ref, lastActivationAt: this.#iso(), lastError: null });
  }

  /** A verified rollout bundle: kept as offered, then taken when this machine's step comes (#decide). */
  #offer(bundle: VerifiedBundle, bytes: Buffer, ref: BundleRef, before: FleetState | null): void {
    const { manifest } = bundle;
    const spec = manifest.rollout as ManifestRollout;
    if (this.#state.blocked.includes(manifest.sequence)) {
      this.#setState(before);
      return;
    }
    try {
      this.#store.write('offered', bytes);
    } catch (error) {
      this.#options.logger.warn({ err: error, dir: this.#store.dir }, 'cannot keep the rollout bundle on disk; it is downloaded again at the next poll');
      this.#update({ etag: null });
      this.#setState(before);
      return;
    }
    this.#options.logger.info(
      { sequence: manifest.sequence, rollout: spec.id, steps: spec.steps.map((step) => step.percent) },
      "staged rollout bundle verified; waiting for this machine's step",
    );
    this.#update({
      offered: ref,
      rollout: { id: spec.id, sequence: manifest.sequence, arm: 'stable', step: stepAt(spec, this.#now()), state: 'waiting', gate: null, bake: null, spec },
    });
    // Verified, not applied: back to the state of the running policy, then take it if this machine's step is due.
    if (!this.#setState(before)) this.#options.host.onChange(this.status());
    this.#decide();
  }

  /** Takes, holds or rolls back the rollout bundle as its schedule, this machine's cohort and the halts say; sets the timer for the next step. */
  #decide(): void {
    this.#stepTimer?.clear();
    this.#stepTimer = null;
    const progress = this.#state.rollout;
    if (progress === null || this.#stopped) return;
    const now = this.#now();
    let bucket: number;
    try {
      bucket = cohortBucket(cohortSeed(this.#options.root), progress.id);
    } catch (error) {
      const reason = reasonOf(error);
      this.#options.logger.error({ code: reason.code }, `cannot read the cohort seed; not taking rollout ${progress.id}: ${reason.message}`);
      this.#update({ lastError: { at: this.#iso(), ...reason } });
      return;
    }
    const decision = decide(progress, { bucket, now, halted: progress.id in this.#state.halts, blocked: this.#state.blocked.includes(progress.sequence) });
    if (decision.kind === 'roll-back') {
      const halt = this.#state.halts[progress.id];
      this.#options.logger.warn({ rollout: progress.id, sequence: progress.sequence, reason: halt?.reason ?? null }, 'the rollout is halted; rolling back');
      this.#rollBack(this.#options.host.local(), { name: 'halt', value: null, threshold: null }, { apply: true });
    } else if (decision.kind === 'take') {
      this.#take(progress, decision.step);
    } else if (decision.kind === 'hold' && (progress.state !== decision.state || progress.arm !== 'stable' || progress.step !== decision.step)) {
      const changed = progress.state !== decision.state;
      this.#update({ rollout: { ...progress, arm: 'stable', state: decision.state, step: decision.step, gate: null } });
      if (changed) this.#options.host.onChange(this.status());
    }
    const current = this.#state.rollout;
    if (current === null || (current.arm === 'candidate' && current.state !== 'rolled_back')) return;
    const next = nextChangeAt(current.spec, this.#now());
    if (next !== null) this.#stepTimer = setLongTimeout(() => this.#decide(), Math.max(0, next - this.#now()) + 1).unref();
  }

  /** This machine's step came: the offered bundle is applied and its bake begins. */
  #take(progress: RolloutProgress, step: number): void {
    const local = this.#options.host.local();
    const bytes = this.#store.read('offered');
    const ref = this.#state.offered;
    if (bytes === null || ref === null) {
      // Lost from disk: download it again at the next poll.
      this.#update({ rollout: null, offered: null, etag: null });
      return;
    }
    const bake = progress.spec.steps[step]?.bake ?? 0;
    this.#update({ desired: progress.sequence });
    this.#setState('applying');
    try {
      const { policy, bundle } = this.#verifyKept(local, bytes);
      this.#options.host.apply(policy, bundle);
    } catch (error) {
      this.#refused(error, bytes, ref, 'applying', progress.sequence);
      this.#store.remove('offered');
      this.#update({ offered: null, rollout: { ...progress, arm: 'candidate', step, state: 'failed', gate: { name: 'policy', value: null, threshold: null }, bake: null } });
      this.#options.host.onChange(this.status());
      return;
    }
    this.#activate({ ...ref, at: this.#iso() }, () => this.#store.takeOffered());
    const counters = this.#options.host.counters();
    const window: BakeWindow = { began: this.#iso(), endsAt: new Date(this.#now() + bake).toISOString(), spoolAtBegin: counters.spoolBytes, counted: NO_COUNTS, restarts: 0 };
    this.#bakeBase = { counters, counted: NO_COUNTS };
    this.#options.logger.info({ rollout: progress.id, sequence: progress.sequence, step, bakeMs: bake }, 'took the staged rollout bundle; baking');
    this.#update({ offered: null, rollout: { ...progress, arm: 'candidate', step, state: 'baking', gate: null, bake: window } });
    this.#settleTimer?.clear();
    this.#setState('applied');
    this.#scheduleBakeTick();
  }

  /** After a start during a bake: the agent's counters start again from here, added to what the bake counted before. */
  #resumeBake(): void {
    const bake = this.#state.rollout?.bake;
    if (!bake) return;
    this.#bakeBase = { counters: this.#options.host.counters(), counted: bake.counted };
    this.#bakeTick();
  }

  #scheduleBakeTick(): void {
    this.#bakeTimer?.clear();
    const progress = this.#state.rollout;
    if (this.#stopped || !progress?.bake) return;
    const left = Date.parse(progress.bake.endsAt) - this.#now();
    const bakeMs = Date.parse(progress.bake.endsAt) - Date.parse(progress.bake.began);
    const tick = Math.min(MAX_BAKE_TICK_MS, Math.max(MIN_BAKE_TICK_MS, Math.floor(bakeMs / 10)));
    this.#bakeTimer = setLongTimeout(() => this.#bakeTick(), Math.max(0, Math.min(tick, left))).unref();
  }

  /** What the bake counted so far. */
  #bakeCounts(): DataCounters | null {
    const base = this.#bakeBase;
    if (base === null) return null;
    return countersSince(base.counters, this.#options.host.counters(), base.counted);
  }

  #saveBakeCounts(): void {
    const progress = this.#state.rollout;
    const counted = this.#bakeCounts();
    if (!progress?.bake || counted === null) return;
    this.#update({ rollout: { ...progress, bake: { ...progress.bake, counted } } });
  }

  /** One check of the gates; at the bake's end the last one, then healthy. */
  #bakeTick(): void {
    const progress = this.#state.rollout;
    if (this.#stopped || !progress?.bake || progress.state !== 'baking') return;
    const { bake } = progress;
    const counted = this.#bakeCounts() ?? bake.counted;
    const now = this.#options.host.counters();
    const final = this.#now() >= Date.parse(bake.endsAt);
    const gate = failedGate(progress.spec.gates, { ...counted, spoolGrowth: now.spoolBytes - bake.spoolAtBegin, restarts: bake.restarts, listening: this.#options.host.listening() }, final);
    if (gate !== null) {
      this.#options.logger.error(
        { rollout: progress.id, sequence: progress.sequence, gate },
        `rollout gate ${gate.name} failed while baking (${gate.value} over ${gate.threshold}); rolling back`,
      );
      this.#rollBack(this.#options.host.local(), gate, { apply: true });
      return;
    }
    if (final) {
      this.#bakeBase = null;
      this.#options.logger.info({ rollout: progress.id, sequence: progress.sequence, counted }, 'the rollout bundle baked with every gate passed');
      this.#update({ rollout: { ...progress, state: 'healthy', bake: null } });
      this.#setState('healthy');
      this.#options.host.onChange(this.status());
      return;
    }
    this.#update({ rollout: { ...progress, bake: { ...bake, counted } } });
    this.#scheduleBakeTick();
  }

  #cancelBake(): void {
    this.#bakeTimer?.clear();
    this.#bakeTimer = null;
    this.#bakeBase = null;
  }

  /**
   * The candidate undone: the bundle before it (checked again under `local`) or the local policy
   * runs again, the candidate becomes last_failed. A gate's rollback blocks the sequence for good;
   * a halt's keeps the bundle offered, to be taken again after a resume. With `apply` the host runs
   * the restored policy now; without (at start) the caller does.
   */
  #rollBack(local: ResolvedPolicy, gate: GateResult, options: { readonly apply: boolean }): BasePolicy {
    const logger = this.#options.logger;
    const progress = this.#state.rollout;
    const candidate = this.#state.active;
    const candidateBytes = this.#store.read('active');
    this.#cancelBake();
    // One more status on the candidate arm first: its counters are the candidate's up to now, which
    // the collector weighs against the stable arm (it counts records of a rolled-back machine on neither).
    if (progress?.arm === 'candidate' && (progress.state === 'baking' || progress.state === 'healthy')) this.#options.host.onChange(this.status());
    let restored: BasePolicy = { policy: local, bundle: null };
    const previousBytes = this.#store.read('previous');
    if (previousBytes !== null && this.#state.previous !== null) {
      try {
        restored = this.#verifyKept(local, previousBytes);
      } catch (error) {
        logger.error({ code: reasonOf(error).code }, `the bundle before the rollout cannot run now; rolling back to the local policy: ${reasonOf(error).message}`);
      }
    }
    if (options.apply) {
      try {
        this.#options.host.apply(restored.policy, restored.bundle);
      } catch (error) {
        logger.error({ err: error }, 'cannot apply the policy before the rollout; still running the rollout bundle');
        return restored;
      }
    }
    try {
      this.#store.rollBack();
      if (restored.bundle === null) this.#store.remove('active');
      if (gate.name === 'halt' && candidateBytes !== null) this.#store.write('offered', candidateBytes);
    } catch (error) {
      logger.warn({ err: error, dir: this.#store.dir }, 'cannot keep the rolled-back bundles on disk');
    }
    const reason =
      gate.name === 'halt' ? `rollout halted: ${this.#state.halts[progress?.id ?? '']?.reason ?? 'by the collector'}` : `rollout gate ${gate.name}: ${gate.value} over ${gate.threshold}`;
    const halted = gate.name === 'halt';
    this.#update({
      active: restored.bundle === null ? null : this.#state.previous,
      previous: null,
      lastFailed: candidate === null ? this.#state.lastFailed : { ...candidate, at: this.#iso(), reason },
      lastError: { at: this.#iso(), code: 'rollout-gate', message: reason, fields: [] },
      ...(progress === null ? {} : { rollout: { ...progress, state: 'rolled_back' as const, gate, bake: null } }),
      ...(halted ? { offered: candidate } : { blocked: [...this.#state.blocked, ...(progress === null ? [] : [progress.sequence])].slice(-100) }),
    });
    this.#setState('rolled_back');
    return restored;
  }

  /** Throws when the policy (with the local fleet settings) does not compile. */
  #compiles(policy: ResolvedPolicy): void {
    const problems = compileCheck(policy);
    if (problems.length > 0) throw new TelemError('bundle-format', `the bundle's policy cannot run here: ${problems.map((problem) => problem.message).join('; ')}`);
  }

  #scheduleSettle(): void {
    this.#settleTimer?.clear();
    const settle = Math.min(this.#options.host.local().fleet.poll_interval, MAX_SETTLE_MS);
    this.#settleTimer = setLongTimeout(() => this.#checkHealth(), settle).unref();
  }

  /** applied → healthy once every component is ok; healthy → applied when one is not. A baking rollout bundle is judged by its gates instead. */
  #checkHealth(): void {
    if (this.#stopped || this.#state.rollout?.state === 'baking') return;
    const { state } = this.#state;
    if (state !== 'applied' && state !== 'healthy') return;
    const healthy = this.#options.host.healthy();
    if (state === 'applied' && healthy) this.#setState('healthy');
    else if (state === 'healthy' && !healthy) this.#setState('applied');
  }

  /** Returns whether the state changed (and the host was told). */
  #setState(state: FleetState | null): boolean {
    if (this.#state.state === state) return false;
    this.#update({ state });
    this.#options.host.onChange(this.status());
    return true;
  }

  #update(changes: Partial<PersistedFleetState>): void {
    const next = { ...this.#state, ...changes };
    // An agent without a fleet source writes nothing under /var/lib/telem/fleet/.
    if (JSON.stringify(next) === JSON.stringify(this.#state)) return;
    this.#state = next;
    try {
      this.#store.writeState(this.#state);
    } catch (error) {
      this.#options.logger.warn({ err: error, file: this.#store.stateFile }, 'cannot save the fleet state');
    }
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}
