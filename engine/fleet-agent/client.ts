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
 */
import { createHash } from 'node:crypto';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { formatKeyPath } from '../diagnostics/diagnostic.js';
import { TelemError } from '../errors/telem-error.js';
import { parseBundle, verifyBundle, type VerifiedBundle } from '../fleet/bundle.js';
import { enforceFloor } from '../fleet/floor.js';
import type { Logger } from '../log/logger.js';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';
import { compileCheck } from '../validate/compile-check.js';
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
}

export interface FleetHost {
  /** The local policy in force now (the floor, and where the fleet settings come from). */
  local(): ResolvedPolicy;
  /** Runs `policy` (the same path as a local change). Throws to refuse it, leaving the running policy; a thrown RolledBackError says it was undone half way. */
  apply(policy: ResolvedPolicy, bundle: VerifiedBundle): void;
  /** Whether every component of the agent is ok (destinations delivering, the spool writable). */
  healthy(): boolean;
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
}

/** What the agent runs after `rebase`: the local policy, or the active bundle's on top of it. */
export interface BasePolicy {
  readonly policy: ResolvedPolicy;
  readonly bundle: VerifiedBundle | null;
}

/** The longest an applied bundle waits before its health is judged. */
const MAX_SETTLE_MS = 30_000;

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
  #state: PersistedFleetState;
  #source: string | null = null;
  #timer: LongTimeout | null = null;
  #settleTimer: LongTimeout | null = null;
  #nextPollAt: number | null = null;
  #polling: Promise<void> | null = null;
  #stopped = false;

  constructor(options: FleetClientOptions) {
    this.#options = options;
    this.#store = new FleetStore(options.root);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? fetchBundle;
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
    };
  }

  /**
   * The policy to run under `local`: the active bundle's (checked again against `local`: keys,
   * channel, floor) with the local fleet settings, or `local` itself when there is no fleet source,
   * no active bundle, or the local policy refuses it now (then the bundle is dropped: rolled_back).
   * Called at start and at every local change; the caller applies what it returns.
   */
  rebase(local: ResolvedPolicy): BasePolicy {
    const { source, channel } = local.fleet;
    this.#source = source;
    if (source === null) {
      this.#update({ channel: null, state: null });
      return { policy: local, bundle: null };
    }
    if (this.#state.channel !== channel) this.#update({ channel, desired: null, etag: null });
    const bytes = this.#store.read('active');
    if (bytes === null || this.#state.active === null) return { policy: local, bundle: null };
    try {
      const manifest = parseBundle(bytes).manifest;
      // Not its expiry: that guards what is downloaded; a bundle applied in time keeps running until a newer one comes.
      const now = new Date(Math.min(this.#now(), Date.parse(manifest.not_after) - 1));
      const bundle = verifyBundle(bytes, { trustedKeys: local.fleet.trusted_keys, channel, now });
      const { policy } = enforceFloor(local, bundle.policy);
      this.#compiles(policy);
      if (this.#state.state === null) this.#update({ state: 'applied' });
      return { policy, bundle };
    } catch (error) {
      const reason = reasonOf(error);
      this.#options.logger.error(
        { code: reason.code, fields: reason.fields, sequence: this.#state.active.sequence },
        `the active bundle cannot run under the local policy; running the local policy: ${reason.message}`,
      );
      const failed = this.#state.active;
      this.#store.write('last_failed', bytes);
      this.#store.demote();
      this.#update({
        state: 'rolled_back',
        previous: failed,
        active: null,
        lastFailed: { ...failed, at: this.#iso(), reason: `${reason.code}: ${reason.message}` },
        lastError: { at: this.#iso(), ...reason },
      });
      return { policy: local, bundle: null };
    }
  }

  /** Polls now, then on its schedule, while the local policy has a source. */
  start(): void {
    this.#schedule(0);
    if (this.#state.state === 'applied') this.#scheduleSettle();
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
    this.#nextPollAt = null;
    await this.#polling;
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
      return;
    }
    this.#retryAfterMs = result.retryAfterMs;
    if (result.kind === 'unchanged') {
      this.#update({ lastPollAt: this.#iso() });
      this.#checkHealth();
      return;
    }
    this.#update({ lastPollAt: this.#iso(), lastDownloadAt: this.#iso(), etag: result.etag });
    const hash = sha256(result.bytes);
    const recheck = this.#recheck;
    this.#recheck = false;
    if (hash === this.#state.active?.sha256 || (hash === this.#state.lastFailed?.sha256 && !recheck)) {
      // Already running it, or already refused it: nothing to do again.
      if (this.#state.state === 'downloading') this.#setState(before);
      this.#checkHealth();
      return;
    }
    // Checked against the local policy in force now: a local change may have come during the download.
    const current = this.#options.host.local();
    if (current.fleet.source !== source) {
      if (this.#state.state === 'downloading') this.#setState(before);
      return;
    }
    this.#apply(current, result.bytes, hash);
  }

  #apply(local: ResolvedPolicy, bytes: Buffer, hash: string): void {
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
    try {
      const applied = this.#state.active?.sequence ?? this.#state.previous?.sequence ?? undefined;
      const bundle = verifyBundle(bytes, {
        trustedKeys: local.fleet.trusted_keys,
        channel: local.fleet.channel,
        now: new Date(this.#now()),
        ...(applied === undefined || applied === null ? {} : { appliedSequence: applied }),
      });
      const { policy, warnings } = enforceFloor(local, bundle.policy);
      for (const warning of warnings) logger.warn({ code: warning.code, field: formatKeyPath(warning.path) }, `bundle ${bundle.manifest.sequence}: ${warning.message}`);
      this.#compiles(policy);
      stage = 'applying';
      this.#setState('applying');
      this.#options.host.apply(policy, bundle);
    } catch (error) {
      const rolledBack = error instanceof RolledBackError;
      const reason = reasonOf(error);
      logger.error({ code: reason.code, fields: reason.fields, sequence: offered.sequence, stage }, `fleet bundle refused; still running the previous policy: ${reason.message}`);
      try {
        this.#store.write('last_failed', bytes);
      } catch (writeError) {
        logger.warn({ err: writeError, dir: this.#store.dir }, 'cannot keep the refused bundle on disk');
      }
      this.#update({ lastFailed: { ...ref, reason: `${reason.code}: ${reason.message}` }, lastError: { at: this.#iso(), ...reason } });
      this.#setState(rolledBack ? 'rolled_back' : 'failed');
      return;
    }
    try {
      this.#store.promote(bytes);
    } catch (error) {
      logger.warn({ err: error, dir: this.#store.dir }, 'cannot keep the applied bundle on disk; a restart without the source runs the previous one');
    }
    logger.info({ sequence: offered.sequence, policy: offered.policy, previous: this.#state.active?.sequence ?? null }, 'fleet bundle applied');
    this.#update({ previous: this.#state.active, active: ref, lastActivationAt: this.#iso(), lastError: null });
    this.#setState('applied');
    this.#scheduleSettle();
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

  /** applied → healthy once every component is ok; healthy → applied when one is not. */
  #checkHealth(): void {
    if (this.#stopped) return;
    const { state } = this.#state;
    if (state !== 'applied' && state !== 'healthy') return;
    const healthy = this.#options.host.healthy();
    if (state === 'applied' && healthy) this.#setState('healthy');
    else if (state === 'healthy' && !healthy) this.#setState('applied');
  }

  #setState(state: FleetState | null): void {
    if (this.#state.state === state) return;
    this.#update({ state });
    this.#options.host.onChange(this.status());
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
