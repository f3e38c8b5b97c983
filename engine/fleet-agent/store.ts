/**
 * What the agent keeps of its fleet bundles, under /var/lib/telem/fleet/: the bundle running now
 * (active.bundle), the one before it (previous.bundle), the last one refused (last_failed.bundle),
 * a staged rollout's bundle waiting for this machine's step (offered.bundle), and state.json with their sequences, the reasons and the times of the last poll, download and
 * activation. Every file is written atomically (temp file, fsync, rename), so a crash leaves the
 * old file or the new one; the agent starts from active.bundle when the source cannot be reached.
 */
import fs from 'node:fs';
import path from 'node:path';
import { underRoot } from '../paths/root.js';
import { writeFileAtomic } from '../paths/write-atomic.js';
import type { RolloutProgress } from './rollout-progress.js';

export const FLEET_DIR = '/var/lib/telem/fleet';

export type BundleSlot = 'active' | 'previous' | 'last_failed' | 'offered';

export type FleetState = 'downloading' | 'verifying' | 'applying' | 'applied' | 'healthy' | 'failed' | 'rolled_back';

export interface BundleRef {
  readonly sequence: number | null;
  /** sha256 of the bundle file. */
  readonly sha256: string;
  readonly policy: { readonly name: string; readonly revision: number } | null;
  readonly at: string;
}

export interface FleetError {
  readonly at: string;
  /** A TelemError code: bundle-signature, bundle-floor, bundle-fetch, … */
  readonly code: string;
  readonly message: string;
  /** The policy fields a floor refusal names (consent.require_opt_in, destinations.evil.url). */
  readonly fields: readonly string[];
}

export interface PersistedFleetState {
  readonly format_version: 1;
  readonly channel: string | null;
  readonly state: FleetState | null;
  readonly active: BundleRef | null;
  readonly previous: BundleRef | null;
  readonly lastFailed: (BundleRef & { readonly reason: string }) | null;
  /** The sequence the source offers (the last bundle downloaded, whether it was applied or not). */
  readonly desired: number | null;
  readonly etag: string | null;
  readonly lastPollAt: string | null;
  readonly lastDownloadAt: string | null;
  readonly lastActivationAt: string | null;
  readonly lastError: FleetError | null;
  /** A staged rollout's bundle, verified, waiting for this machine's step (offered.bundle). */
  readonly offered: BundleRef | null;
  /** Where this machine is in the rollout of the newest rollout bundle it saw. */
  readonly rollout: RolloutProgress | null;
  /** Sequences a rollout gate rolled back: never taken again. */
  readonly blocked: readonly number[];
  /** The last control document read from fleet.control: halts by rollout id. */
  readonly halts: Readonly<Record<string, { readonly reason: string | null; readonly at: string | null }>>;
}

export const EMPTY_STATE: PersistedFleetState = {
  format_version: 1,
  channel: null,
  state: null,
  active: null,
  previous: null,
  lastFailed: null,
  desired: null,
  etag: null,
  lastPollAt: null,
  lastDownloadAt: null,
  lastActivationAt: null,
  lastError: null,
  offered: null,
  rollout: null,
  blocked: [],
  halts: {},
};

export class FleetStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = underRoot(root, FLEET_DIR);
  }

  file(slot: BundleSlot): string {
    return path.join(this.dir, `${slot}.bundle`);
  }

  get stateFile(): string {
    return path.join(this.dir, 'state.json');
  }

  read(slot: BundleSlot): Buffer | null {
    try {
      return fs.readFileSync(this.file(slot));
    } catch {
      return null;
    }
  }

  write(slot: BundleSlot, bytes: Uint8Array): void {
    writeFileAtomic(this.file(slot), bytes);
  }

  /** active → previous (the old previous goes), then the new active. */
  promote(bytes: Uint8Array): void {
    const active = this.read('active');
    if (active !== null) writeFileAtomic(this.file('previous'), active);
    writeFileAtomic(this.file('active'), bytes);
  }

  /**
   * A rollout bundle taken: active → previous, offered → active. Returns false when there is no
   * offered bundle to take.
   */
  takeOffered(): boolean {
    const offered = this.read('offered');
    if (offered === null) return false;
    this.promote(offered);
    fs.rmSync(this.file('offered'), { force: true });
    return true;
  }

  /** A rolled-back candidate: active → last_failed, previous → active (or none), so the bundle before runs again. */
  rollBack(): void {
    const active = this.read('active');
    if (active !== null) writeFileAtomic(this.file('last_failed'), active);
    const previous = this.read('previous');
    if (previous === null) fs.rmSync(this.file('active'), { force: true });
    else writeFileAtomic(this.file('active'), previous);
    fs.rmSync(this.file('previous'), { force: true });
  }

  remove(slot: BundleSlot): void {
    fs.rmSync(this.file(slot), { force: true });
  }

  /** Forgets the active bundle (the agent runs its local policy): it becomes previous. */
  demote(): void {
    const active = this.read('active');
    if (active === null) return;
    writeFileAtomic(this.file('previous'), active);
    fs.rmSync(this.file('active'), { force: true });
  }

  readState(): PersistedFleetState {
    try {
      const value = JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as Partial<PersistedFleetState>;
      return value.format_version === 1 ? { ...EMPTY_STATE, ...value } : EMPTY_STATE;
    } catch {
      return EMPTY_STATE;
    }
  }

  writeState(state: PersistedFleetState): void {
    writeFileAtomic(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
}
