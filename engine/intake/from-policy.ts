/** Intake settings from the resolved policy's `intake` and `consent` sections. */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { ConsentGate } from '../consent/opt-in.js';
import { MachineIdSource } from '../consent/machine-id.js';
import { DEFAULT_FRAME_LIMITS } from '../record/frame.js';
import { underRoot } from '../paths/root.js';
import type { Logger } from '../log/logger.js';
import type { IntakeServerOptions } from './server.js';
import type { RecordSink } from './sink.js';

export interface IntakeContext {
  readonly root: string;
  readonly sink: RecordSink;
  readonly logger?: Logger;
}

export function intakeOptionsFromPolicy(policy: ResolvedPolicy, context: IntakeContext): IntakeServerOptions {
  const { intake, consent } = policy;
  return {
    socketPath: underRoot(context.root, intake.socket),
    mode: Number.parseInt(intake.mode, 8),
    limits: { ...DEFAULT_FRAME_LIMITS, maxPayload: intake.max_payload },
    maxConnections: intake.max_connections,
    readTimeoutMs: intake.read_timeout,
    firstBytesMs: intake.first_byte_timeout,
    maxPerUid: intake.max_connections_per_uid,
    sink: context.sink,
    machineId: new MachineIdSource({
      root: context.root,
      rotateEveryMs: consent.machine_id.rotate_every,
      ...(context.logger ? { logger: context.logger } : {}),
    }),
    consent: consent.require_opt_in ? new ConsentGate({ root: context.root }) : null,
    ...(context.logger ? { logger: context.logger } : {}),
  };
}
