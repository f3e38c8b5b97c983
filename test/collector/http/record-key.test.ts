/**
 * Which records are one record: a real collector on each backend stores the records of one
 * event (they share its event id) apart, and a retransmission (equal in every field, under the
 * same tenant) once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunningCollector } from '../../../engine/collector/collector.js';
import { BACKENDS, type RawResponse, UPSTREAM_TID, postV2, postV3, startTestCollector, v2Headers, v3Body } from '../collector-helpers.js';

const OTHER_CLASSIFICATION = 'org.clearlinux/hello/again';

/** The 201 answers' ids, classifications, severities and whether each was new. */
function answered(responses: readonly RawResponse[]) {
  return responses.map((response) => {
    assert.equal(response.status, 201, response.body.toString());
    const body = response.json();
    return { id: body.id as number, classification: body.classification, severity: body.severity, isNew: response.headers['x-telem-duplicate'] !== 'true' };
  });
}

async function storedCount(collector: RunningCollector): Promise<number> {
  return (await collector.store.list({ filter: {}, limit: 100 })).length;
}

for (const backend of BACKENDS) {
  const options = { skip: backend.skip };

  test(`records of one event on ${backend.name}: v2 records differing only in classification or only in severity are each stored and answered 201 with their own row`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const [first, otherClass, otherSeverity] = answered([
      await postV2(collector, v2Headers()),
      await postV2(collector, v2Headers({ classification: OTHER_CLASSIFICATION })),
      await postV2(collector, v2Headers({ severity: '3' })),
    ]);
    assert.deepEqual(first, { id: first?.id, classification: 'org.clearlinux/hello/world', severity: 1, isNew: true });
    assert.deepEqual(otherClass, { id: otherClass?.id, classification: OTHER_CLASSIFICATION, severity: 1, isNew: true });
    assert.deepEqual(otherSeverity, { id: otherSeverity?.id, classification: 'org.clearlinux/hello/world', severity: 3, isNew: true });
    assert.equal(new Set([first?.id, otherClass?.id, otherSeverity?.id]).size, 3);
    assert.equal(await storedCount(collector), 3);
  });

  test(`records of one event on ${backend.name}: v3 records differing only in classification or only in severity are each stored and answered 201 with their own row`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const [first, otherClass, otherSeverity] = answered([
      await postV3(collector, v3Body()),
      await postV3(collector, v3Body({ classification: OTHER_CLASSIFICATION })),
      await postV3(collector, v3Body({ severity: '3' })),
    ]);
    assert.deepEqual(first, { id: first?.id, classification: 'org.clearlinux/hello/world', severity: 1, isNew: true });
    assert.deepEqual(otherClass, { id: otherClass?.id, classification: OTHER_CLASSIFICATION, severity: 1, isNew: true });
    assert.deepEqual(otherSeverity, { id: otherSeverity?.id, classification: 'org.clearlinux/hello/world', severity: 3, isNew: true });
    assert.equal(new Set([first?.id, otherClass?.id, otherSeverity?.id]).size, 3);
    assert.equal(await storedCount(collector), 3);
  });

  test(
    `records of one event on ${backend.name}: a record and its classification variant, each sent three times in turn, are stored once each and every answer carries its own row`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, { backend });
      const responses = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        responses.push(await postV2(collector, v2Headers()));
        responses.push(await postV2(collector, v2Headers({ classification: OTHER_CLASSIFICATION })));
      }
      const answers = answered(responses);
      assert.deepEqual(
        answers.map((answer) => answer.isNew),
        [true, true, false, false, false, false],
      );
      const [record, variant] = answers;
      assert.deepEqual(
        answers.map((answer) => answer.id),
        [record?.id, variant?.id, record?.id, variant?.id, record?.id, variant?.id],
      );
      assert.deepEqual(
        answers.map((answer) => answer.classification),
        Array.from({ length: 3 }, () => ['org.clearlinux/hello/world', OTHER_CLASSIFICATION]).flat(),
      );
      assert.notEqual(record?.id, variant?.id);
      assert.equal(await storedCount(collector), 2);
    },
  );

  test(
    `records of one event on ${backend.name}: sent concurrently (one batch), records differing in classification or severity are stored apart and a copy among them is a duplicate`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, { backend });
      const bodies = [v3Body(), v3Body({ classification: OTHER_CLASSIFICATION }), v3Body(), v3Body({ severity: '4' })];
      const answers = answered(await Promise.all(bodies.map((body) => postV3(collector, body))));
      assert.deepEqual(
        answers.map((answer) => [answer.classification, answer.severity]),
        [
          ['org.clearlinux/hello/world', 1],
          [OTHER_CLASSIFICATION, 1],
          ['org.clearlinux/hello/world', 1],
          ['org.clearlinux/hello/world', 4],
        ],
      );
      assert.equal(answers[2]?.id, answers[0]?.id);
      assert.equal(answers.filter((answer) => answer.isNew).length, 3);
      assert.equal(new Set(answers.map((answer) => answer.id)).size, 3);
      assert.equal(await storedCount(collector), 3);
    },
  );

  test(`tenants on ${backend.name}: the same record under two tenants is stored twice, and each tenant's resend gets its own tenant's row`, options, async (t) => {
    const collector = await startTestCollector(t, {
      backend,
      settings: {
        tenants: [
          { tid: UPSTREAM_TID, tokens: [] },
          { tid: 'team-b', tokens: [] },
        ],
      },
    });
    const underB = { 'X-Telemetry-TID': 'team-b' };
    const responses = [await postV3(collector, v3Body()), await postV3(collector, v3Body(), underB), await postV3(collector, v3Body()), await postV3(collector, v3Body(), underB)];
    const answers = answered(responses);
    assert.deepEqual(
      answers.map((answer) => answer.isNew),
      [true, true, false, false],
    );
    assert.deepEqual(
      responses.map((response) => response.json().tenant),
      [UPSTREAM_TID, 'team-b', UPSTREAM_TID, 'team-b'],
    );
    assert.notEqual(answers[0]?.id, answers[1]?.id);
    assert.deepEqual([answers[2]?.id, answers[3]?.id], [answers[0]?.id, answers[1]?.id]);
    const stored = await collector.store.list({ filter: {}, limit: 10 });
    assert.deepEqual(stored.map((record) => record.tenant).sort(), [UPSTREAM_TID, 'team-b'].sort());
  });
}
