import { openSqliteStore } from './dist/engine/collector/storage/sqlite-store.js';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
const dir = mkdtempSync('/tmp/sq-');
const store = await openSqliteStore(dir + '/c.db');
const rec = (i) => ({ record_format_version: 4, classification: 'org.example/probe/test', severity: 1, machine_id: randomBytes(16).toString('hex'), creation_timestamp: 1795385357, arch: 'x86_64', host_type: 'a|b|c', build: '12', kernel_version: '6.1', payload_format_version: 1, system_name: 'debian', board_name: 'x|y', cpu_model: 'Intel(R) Xeon(R)', bios_version: 'b', event_id: randomBytes(16).toString('hex'), payload: 'bench record ' + i + '\n' + 'p'.repeat(300), received_at: Date.now(), tenant: 't', protocol: 'v3', external: false });
const N = 8000; const t = performance.now();
for (let i = 0; i < N; i += 16) await store.insert(Array.from({ length: 16 }, (_, k) => rec(i + k)));
console.log(Math.round(N / ((performance.now() - t) / 1000)), 'rows/s');
