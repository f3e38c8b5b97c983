/** The consent step as the intake applies it, and how the machine is identified on every record. */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { formatDuration } from '../../schemas/units.js';
import { describeMachineId } from '../consent/machine-id.js';
import { isOptedIn, optInPath } from '../consent/opt-in.js';

export interface ConsentStep {
  readonly requireOptIn: boolean;
  readonly optedIn: boolean;
  /** The intake refuses records (before they get a record id or a journal line) when opt-in is required and missing. */
  readonly allowed: boolean;
  readonly optInFile: string;
  /** "static" (opt-in-static-machine-id, never rotated) or "rotating" (replaced every rotate_every). */
  readonly machineId: 'static' | 'rotating';
  readonly rotateEvery: string | null;
}

export async function consentStep(policy: ResolvedPolicy, root: string): Promise<ConsentStep> {
  const [optedIn, machine] = await Promise.all([isOptedIn({ root }), describeMachineId({ root })]);
  const requireOptIn = policy.consent.require_opt_in;
  const isStatic = machine.source === 'static';
  return {
    requireOptIn,
    optedIn,
    allowed: !requireOptIn || optedIn,
    optInFile: optInPath({ root }),
    machineId: isStatic ? 'static' : 'rotating',
    rotateEvery: isStatic ? null : formatDuration(policy.consent.machine_id.rotate_every),
  };
}
