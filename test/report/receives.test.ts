/** What telem report says a destination receives is what the delivery clients really build. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRequestBuilder, type HttpDestinationConfig } from '../../engine/deliver/http-request.js';
import { recordJson } from '../../engine/deliver/record-json.js';
import { receivesOf } from '../../engine/explain/receives.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { testRecord } from '../helpers/records.js';

function destinations() {
  const { policy, diagnostics } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'receives' },
    destinations: {
      v3: { type: 'http', url: 'https://c.example/v3/collector' },
      v2: { type: 'http', protocol: 'v2', url: 'https://c.example/v2/collector' },
      file: { type: 'file', path: '/var/lib/out.ndjson' },
      local: { type: 'local' },
    },
    routes: [{ name: 'all', to: ['v3', 'v2', 'file', 'local'] }],
  });
  assert.ok(policy, JSON.stringify(diagnostics));
  return (name: string) => {
    const destination = policy.destinations[name];
    assert.ok(destination, name);
    return destination;
  };
}

test('report receives: a v3 destination and a file get the keys of the v3 JSON object, leaving the machine only over HTTP', () => {
  const get = destinations();
  const keys = Object.keys(JSON.parse(recordJson(testRecord())) as object);
  for (const name of ['v3', 'file'] as const) assert.deepEqual(receivesOf(get(name)).fields, keys, name);
  const body = JSON.parse(createRequestBuilder(get('v3') as HttpDestinationConfig)(testRecord()).body.toString('utf8')) as object;
  assert.deepEqual(Object.keys(body), keys);
  assert.deepEqual([receivesOf(get('v3')).leavesMachine, receivesOf(get('file')).leavesMachine, receivesOf(get('local')).leavesMachine], [true, false, false]);
});

test('report receives: a v2 destination gets the record fields as request headers and the payload as the body', () => {
  const get = destinations();
  const request = createRequestBuilder(get('v2') as HttpDestinationConfig)(testRecord({ payload: 'the payload' }));
  const names = request.headers.map(([name]) => name);
  const fields = receivesOf(get('v2')).fields;
  assert.deepEqual(
    fields.filter((field) => field !== 'payload').filter((field) => !names.includes(field)),
    [],
  );
  assert.equal(request.body.toString('utf8'), 'the payload');
  assert.deepEqual(receivesOf(get('local')).fields, []);
});
