/**
 * The requests the real upstream clients sent (shared/conformance/captured-requests.txt),
 * replayed byte for byte over a raw TCP socket, three times each, to a real collector on
 * each backend; then the stored rows are checked.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromRoot } from '../../helpers/paths.js';
import { BACKENDS, rawRequest, startTestCollector } from '../collector-helpers.js';
import { skipUnlessRequired } from '../../helpers/skip.js';

// The copy of shared/conformance/captured-requests.txt kept with the tests.
const CAPTURES = fromRoot('test', 'fixtures', 'conformance', 'captured-requests.txt');
const MISSING = skipUnlessRequired(existsSync(CAPTURES) ? false : `${CAPTURES} is missing`);

interface Capture {
  /**
   * The capture listener's port and the request number: each listener run numbers its requests
   * from 1. 8088: PART 1 (v3 client, HEAD), 8089 and 8091: PART 1b (status and edge cases),
   * 8090: PART 2 (v2 client, v2.3.5).
   */
  readonly label: string;
  readonly bytes: Buffer;
}

function parseCaptures(text: string): Capture[] {
  const captures: Capture[] = [];
  for (const block of text.split(/^(?====== REQUEST #)/m).slice(1)) {
    const number = /^===== REQUEST #(\d+) /.exec(block)?.[1];
    const head = /--- raw request head \(CRLF shown as \\r\\n\) ---\n([\s\S]*?)--- body \((\d+) bytes/.exec(block);
    const body = /<<<BODY\n([\s\S]*?)\nBODY>>>/.exec(block);
    assert.ok(number && head && body, `request block "${block.slice(0, 60)}" parses`);
    const headText = (head[1] as string).replaceAll('\\r\\n\n', '\r\n');
    const bodyBytes = Buffer.from(body[1] as string, 'utf8');
    assert.equal(bodyBytes.length, Number(head[2]), `request #${number}: body length as captured`);
    const port = /^Host: [\d.]+:(\d+)\r$/m.exec(headText)?.[1];
    captures.push({ label: `${port} #${number}`, bytes: Buffer.concat([Buffer.from(headText, 'latin1'), bodyBytes]) });
  }
  return captures;
}

/** What each captured request should get: upstream's client answered 201 by its test listener, ours validates. */
const EXPECTED: Record<string, { status: number; message?: string }> = {
  // alt.conf's server URL (/v3/alt-collector) is not a collector path.
  '8088 #5': { status: 404, message: 'nothing here: POST /v3/alt-collector' },
  '8088 #7': { status: 404, message: 'nothing here: POST /v3/alt-collector' },
  // build "12\t34": a tab is not allowed in a non-Clear Linux build, as upstream.
  '8091 #1': { status: 400, message: 'Build version has invalid characters' },
};

for (const backend of BACKENDS) {
  test(`captured requests on ${backend.name}: v3 and v2 clients' requests replayed byte for byte are stored once each`, { skip: MISSING || backend.skip }, async (t) => {
    const captures = parseCaptures(readFileSync(CAPTURES, 'latin1'));
    assert.deepEqual(captures.map((capture) => capture.label.split(' ')[0]).join(' '), `${'8088 '.repeat(11)}${'8089 '.repeat(4)}8091 8091 8090 8090`);
    const collector = await startTestCollector(t, { backend });

    const ids = new Map<string, number>();
    for (const capture of captures) {
      const expected = EXPECTED[capture.label] ?? { status: 201 };
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const response = await rawRequest(collector.url, capture.bytes);
        const body: Record<string, unknown> = response.json();
        const id = Number(body.id);
        assert.equal(response.status, expected.status, `${capture.label} attempt ${attempt}: ${JSON.stringify(body)}`);
        if (expected.message) assert.deepEqual(body, { message: expected.message });
        if (response.status === 201) {
          if (attempt === 1 && !ids.has(capture.label)) ids.set(capture.label, id);
          assert.equal(id, ids.get(capture.label), `${capture.label}: every retransmit answers with the stored row`);
        }
      }
    }

    const stored = await collector.store.list({ filter: {}, limit: 1000 });
    // 8088 #9 (answered 500 by the capture listener) and #10, its retry, are the same record: stored once.
    assert.equal(ids.get('8088 #9'), ids.get('8088 #10'));
    assert.equal(stored.length, new Set(ids.values()).size);
    assert.equal(stored.length, 15);

    const byClass = (classification: string) => stored.filter((record) => record.classification === classification);
    const v3 = byClass('org.example/probe/test').find((record) => record.protocol === 'v3');
    assert.deepEqual(
      { ...v3, id: 0, received_at: 0 },
      {
        id: 0,
        received_at: 0,
        tenant: '6907c830-eed9-4ce9-81ae-76daf8d88f0f',
        protocol: 'v3',
        external: false,
        record_format_version: 4,
        classification: 'org.example/probe/test',
        severity: 1,
        machine_id: '0968e7256b975820ec8aa038f97dca51',
        creation_timestamp: 1795385359,
        arch: 'x86_64',
        host_type: 'no_sv_file|no_pn_file|no_pvr_file',
        build: '12',
        kernel_version: '6.18.44-fc-v595',
        payload_format_version: 1,
        system_name: 'debian',
        board_name: 'no_bn_file|no_bv_file',
        cpu_model: 'Intel(R)',
        bios_version: 'no_bv_file',
        event_id: '3df3a0ccdc1b8abada82a1202bcd3da8',
        first_frame: null,
        signature: null,
        payload: 'hello\n',
      },
    );
    const v2 = byClass('org.example/probe/test').find((record) => record.protocol === 'v2');
    assert.equal(v2?.cpu_model, 'Intel(R) Xeon(R) Processor @ 2.50GHz', 'v2 headers keep their spaces');
    assert.equal(v2?.machine_id, '39f0271b14243eb20f86fc8bf4ff23f6');
    assert.equal(v2?.build, '12');
    assert.equal(v2?.payload, 'hello\n');
    assert.equal(byClass('org.clearlinux/hello/world').find((record) => record.protocol === 'v2')?.payload, 'hello\n\n');
    assert.equal(byClass('org.example/probe/multi')[0]?.payload, 'line one\nline two with "quotes" and \\backslash\\ and tab\there\n\n');
    assert.equal(byClass('org.example/probe/multi')[0]?.severity, 4);
    assert.equal(byClass('org.example/probe/multi')[0]?.payload_format_version, 3);
    assert.equal(byClass('org.example/size/s8187')[0]?.payload, `${'a'.repeat(8187)}\n`);
    assert.equal(byClass('org.example/edge/withtab').length, 0);
    assert.equal(byClass('org.example/probe/alt').length + byClass('org.example/probe/stagedcfg').length, 0);
  });
}
