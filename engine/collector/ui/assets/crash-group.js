// @ts-check
// A crash group's page (GET /api/crash-groups/<signature>), in the Crashes tab's #crash-group: its
// signature and note, when it was first and last seen, the records per build, the trend over
// creation time, the machines and classifications, the representative backtrace and the others.
// Payloads are shown as text only.
import { lineChart } from './charts.js';
import { $, el, plural, time } from './dom.js';

/** @typedef {import('../../query/answers.js').CrashGroupAnswer} CrashGroupAnswer */
/** @typedef {import('../../query/answers.js').RecordJson} RecordJson */
/** @typedef {import('./charts.js').OnZoom} OnZoom */

/** @param {number | null} instant ms since the epoch */
const orDash = (instant) => (instant === null ? '—' : time(instant));

/** A record's line above its payload: id, machine, build and creation time. @param {RecordJson} record */
function recordLine(record) {
  return `#${record.id} · ${record.classification} · machine ${record.machine_id.slice(0, 12)} · ${record.system_name} ${record.build} · created ${time(record.creation_timestamp * 1000)}`;
}

/**
 * @param {string} selector a tbody
 * @param {HTMLElement[]} rows
 */
function fill(selector, rows) {
  $(selector).replaceChildren(...rows);
}

/**
 * Shows `group` in #crash-group.
 * @param {CrashGroupAnswer} group
 * @param {{ canEdit: boolean, onZoom: OnZoom }} options canEdit: the note form is for admins only
 */
export function showCrashGroup(group, options) {
  $('#crash-group-signature').textContent = group.signature;
  $('#crash-group-facts').replaceChildren(
    ...[
      ['records', String(group.count)],
      ['machines', String(group.machines)],
      ['first seen (created)', orDash(group.first_created)],
      ['last seen (created)', orDash(group.last_created)],
      ['first received', orDash(group.first_received)],
      ['last received', orDash(group.last_received)],
      ['classifications read', group.classification.join(', ')],
    ].flatMap(([name, value]) => [el('dt', {}, name ?? ''), el('dd', {}, value ?? '')]),
  );

  const note = $('#crash-group-note', HTMLFormElement);
  const comment = note.elements.namedItem('comment');
  const hidden = note.elements.namedItem('hidden');
  if (comment instanceof HTMLTextAreaElement) comment.value = group.note.comment ?? '';
  if (hidden instanceof HTMLInputElement) hidden.checked = group.note.hidden;
  for (const control of note.elements)
    if (control instanceof HTMLTextAreaElement || control instanceof HTMLInputElement || control instanceof HTMLButtonElement) control.disabled = !options.canEdit;
  $('#crash-group-note-by').textContent =
    group.note.updated_at === null
      ? options.canEdit
        ? ''
        : 'an admin can add a comment or hide this group'
      : `last changed by ${group.note.updated_by ?? '?'} at ${time(group.note.updated_at)}`;
  $('#crash-group-hidden-badge').hidden = !group.note.hidden;

  const { buckets, bucket_ms: bucketMs } = group.over_time;
  lineChart(
    $('#crash-group-trend'),
    buckets.map((bucket) => ({ start: bucket.start, value: bucket.count })),
    '#c73232',
    bucketMs,
    options.onZoom,
  );
  fill(
    '#crash-group-builds tbody',
    group.by_build.map((build) =>
      el(
        'tr',
        { 'data-build': build.build },
        el('td', {}, build.system_name),
        el('td', { class: 'build' }, build.build),
        el('td', { class: 'count' }, build.count),
        el('td', {}, build.machines),
        el('td', {}, time(build.first_created)),
        el('td', {}, time(build.last_created)),
      ),
    ),
  );
  fill(
    '#crash-group-classes tbody',
    group.by_classification.map((row) => el('tr', {}, el('td', {}, row.classification), el('td', {}, row.count))),
  );
  $('#crash-group-machine-count').textContent = group.by_machine.length < group.machines ? `${group.machines}, the ${group.by_machine.length} most affected listed` : String(group.machines);
  fill(
    '#crash-group-machines tbody',
    group.by_machine.map((machine) =>
      el(
        'tr',
        { 'data-machine': machine.machine_id },
        el('td', { class: 'machine_id' }, machine.machine_id),
        el('td', {}, machine.count),
        el('td', {}, machine.builds),
        el('td', {}, time(machine.last_created)),
      ),
    ),
  );

  const representative = group.representative;
  $('#crash-group-representative-line').textContent = representative ? recordLine(representative) : 'No record of this group matches the filters.';
  $('#crash-group-representative').textContent = representative?.payload ?? '';
  $('#crash-group-records-count').textContent = plural(group.records.length, 'record');
  $('#crash-group-records').replaceChildren(
    ...group.records.map((record) => el('details', { 'data-id': record.id }, el('summary', {}, recordLine(record)), el('pre', { class: 'payload' }, record.payload))),
  );
}
