/** `telem simulate`'s speed: records through a 50-route policy, beside a loop that only parses the same NDJSON. */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readExport } from '../../engine/simulate/input.js';
import { Simulation } from '../../engine/simulate/simulate.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { largePolicy } from './policy-scale.js';
import { CAPTURE_HOST } from '../helpers/records.js';

/** Written in chunks: a million lines are more than one string may hold. */
async function writeExport(file: string, count: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    let lines: string[] = [];
    for (let index = 0; index < count; index += 1) {
      lines.push(
        JSON.stringify({
          id: index + 1,
          record_format_version: 4,
          classification: `org.vendor${index % 60}/probe${index % 120}/event`,
          severity: 1 + (index % 4),
          machine_id: '0123456789abcdef0123456789abcdef',
          creation_timestamp: 1_795_385_357 + Math.floor(index / 100),
          ...CAPTURE_HOST,
          payload_format_version: 1,
          event_id: '78dbbb96a9636a7e2467cadcbce35863',
          payload: `record ${index} at 10.0.0.${index % 250}`,
        }),
      );
      if (lines.length === 10_000 || index === count - 1) {
        await handle.write(`${lines.join('\n')}\n`);
        lines = [];
      }
    }
  } finally {
    await handle.close();
  }
}

export async function measureSimulate(work: string, count: number): Promise<{ perSecond: number; bareParsePerSecond: number }> {
  const file = path.join(work, 'simulate.ndjson');
  await writeExport(file, count);
  const bareStarted = performance.now();
  let parsed = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line !== '' && JSON.parse(line)) parsed += 1;
  const bareMs = performance.now() - bareStarted;

  const { policy } = validatePolicyValue(largePolicy(50));
  if (!policy) throw new Error('the 50-route bench policy does not validate');
  const started = performance.now();
  const simulation = new Simulation(policy);
  for await (const record of readExport(createReadStream(file), file)) simulation.add(record);
  const result = simulation.finish();
  const ms = performance.now() - started;
  if (result.records !== count || parsed !== count) throw new Error(`simulated ${result.records} and parsed ${parsed} of ${count} records`);
  return { perSecond: count / (ms / 1000), bareParsePerSecond: count / (bareMs / 1000) };
}
