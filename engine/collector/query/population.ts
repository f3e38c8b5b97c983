/**
 * The fleet's builds and population, and upstream TelemetryUI's machine-check views:
 *   GET /api/population      records and machines per build, OS, classification and machine, and over
 *                            creation time (storage/population-sql.ts); the records filters, bucket;
 *   GET /api/machine-checks  the same for the machine-check (MCE) records and, apart, the thermal ones,
 *                            by the classifications upstream's mcelog probe gives them; the filters
 *                            but classification, which is the view's own.
 */
import type { ServerResponse } from 'node:http';
import { sendJson } from '../reply/reply.js';
import type { MachineChecksAnswer, PopulationAnswer } from './answers.js';
import { type QueryContext, read } from './api.js';
import { FILTER_PARAMETERS, checkKnown, parseBucket, parseFilter } from './params.js';

/** Machine-check exceptions as upstream classified them (TelemetryUI's MCE tab): corrected errors and the uncorrected kinds (SRAO, SRAR, UCNA). */
export const MCE_CLASSIFICATIONS = ['org.clearlinux/mce/corrected', 'org.clearlinux/mce/SRAO', 'org.clearlinux/mce/SRAR', 'org.clearlinux/mce/UCNA'] as const;
/** Thermal events, which upstream's probe reports as a kind of machine check (TelemetryUI's Thermal tab). */
export const THERMAL_CLASSIFICATIONS = ['org.clearlinux/mce/thermal'] as const;

function bucketOf(params: URLSearchParams): { bucketMs?: number } {
  const bucketMs = parseBucket(params);
  return bucketMs === undefined ? {} : { bucketMs };
}

export async function populationEndpoint(context: QueryContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  checkKnown(params, [...FILTER_PARAMETERS, 'bucket']);
  const filter = parseFilter(params, context.now());
  sendJson(res, 200, (await read(context.store.population({ filter, ...bucketOf(params) }))) satisfies PopulationAnswer);
}

export async function machineChecksEndpoint(context: QueryContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  checkKnown(
    params,
    [...FILTER_PARAMETERS, 'bucket'].filter((name) => name !== 'classification'),
  );
  const filter = parseFilter(params, context.now());
  const bucket = bucketOf(params);
  const [mce, thermal] = await Promise.all([
    read(context.store.population({ filter: { ...filter, classification: MCE_CLASSIFICATIONS }, ...bucket })),
    read(context.store.population({ filter: { ...filter, classification: THERMAL_CLASSIFICATIONS }, ...bucket })),
  ]);
  sendJson(res, 200, { mce: { classification: MCE_CLASSIFICATIONS, ...mce }, thermal: { classification: THERMAL_CLASSIFICATIONS, ...thermal } } satisfies MachineChecksAnswer);
}
