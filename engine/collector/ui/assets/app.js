// @ts-check
// The collector's web UI: plain DOM and SVG over the query API (/api/records, /api/stats,
// /api/crashes, /api/crash-rules, /api/fleet). Record data is only ever inserted as text, never as HTML. An answer of
// 401 (no login, or the session ended) opens the login page; the session's CSRF value goes with every
// request that changes something (GET /api/session gives it). The record's fields,
// the table's columns and the filter form come from GET /api/fields, the server's own lists.
// Type-checked from its JSDoc by `npm run lint` (lint/tsconfig.ui.json); the answers' types are
// the server's own. A crash group's page is crash-group.js, the charts charts.js.
import { PALETTE, barChart, stackedChart } from './charts.js';
import { showCrashGroup } from './crash-group.js';
import { $, el, plural, time } from './dom.js';
import { showBuilds, showMachineChecks } from './population.js';

/** @typedef {import('../../query/answers.js').RecordJson} RecordJson */
/** @typedef {import('../../query/answers.js').RecordsPage} RecordsPage */
/** @typedef {import('../../query/answers.js').RecordStats} RecordStats */
/** @typedef {import('../../query/answers.js').CrashesAnswer} CrashesAnswer */
/** @typedef {import('../../query/answers.js').CrashGroupAnswer} CrashGroupAnswer */
/** @typedef {import('../../query/answers.js').CrashGroupNoteAnswer} CrashGroupNoteAnswer */
/** @typedef {import('../../query/answers.js').CrashRulesAnswer} CrashRulesAnswer */
/** @typedef {import('../../query/answers.js').PopulationAnswer} PopulationAnswer */
/** @typedef {import('../../query/answers.js').MachineChecksAnswer} MachineChecksAnswer */
/** @typedef {import('../../query/answers.js').CrashRulesChangeAnswer} CrashRulesChangeAnswer */
/** @typedef {import('../../query/answers.js').FieldsAnswer} FieldsAnswer */
/** @typedef {import('../../query/answers.js').SessionAnswer} SessionAnswer */
/** @typedef {import('../../query/answers.js').FleetAnswer} FleetAnswer */
/** @typedef {import('../../query/answers.js').FleetState} FleetState */
/** @typedef {import('../../query/answers.js').RolloutView} RolloutView */
/** @typedef {import('../../query/answers.js').RolloutArm} RolloutArm */
/** @typedef {import('../../query/answers.js').RolloutState} RolloutState */
/** @typedef {import('../../query/answers.js').ArmCounters} ArmCounters */
/** @typedef {import('../../query/answers.js').FilterDescription} FilterDescription */
/** @typedef {import('../../query/answers.js').ColumnDescription} ColumnDescription */
/** @typedef {[label: string, color: string]} Series */

/** The page's tab buttons. */
const tabButtons = () => /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('nav button'));
const form = $('#filters', HTMLFormElement);

/**
 * The filter form's control `name`.
 * @param {string} name
 * @returns {HTMLInputElement | HTMLSelectElement}
 */
function control(name) {
  const node = form.elements.namedItem(name);
  if (!(node instanceof HTMLInputElement || node instanceof HTMLSelectElement)) throw new Error(`the filter form has no control ${name}`);
  return node;
}

/** @type {Record<number, string>} */
const SEVERITY_COLORS = { 1: '#4d8fd6', 2: '#c9a400', 3: '#e07b1f', 4: '#c73232' };
const LIVE_INTERVAL_MS = 1000;
/**
 * What a time filter offers: durations before now, worded as a lower bound (since) and as an upper one (until).
 * @type {[value: string, lower: string, upper: string][]}
 */
const TIME_CHOICES = [
  ['15m', 'last 15 minutes', '15 minutes ago'],
  ['1h', 'last hour', 'an hour ago'],
  ['24h', 'last 24 hours', '24 hours ago'],
  ['7d', 'last 7 days', '7 days ago'],
  ['30d', 'last 30 days', '30 days ago'],
];

/** The time filters' choice of an absolute bound, a date and time picked beside the select. */
const DATE_CHOICE = 'date';

/**
 * The records' fields, the list's columns and the filters, from GET /api/fields (read once, at start).
 * @type {FieldsAnswer}
 */
let described = { fields: [], columns: [], filters: [] };

let activeTab = 'records';
/** @type {string | null} */
let nextCursor = null;
let newestId = 0;

function filterParams() {
  const params = new URLSearchParams();
  const data = new FormData(form);
  for (const { name } of described.filters) {
    // A choice may have several values (a <select multiple>): sent comma-separated.
    const picked = form.querySelector(`input[data-date-for="${name}"]`);
    if (picked instanceof HTMLInputElement && data.get(name) === DATE_CHOICE) {
      // An absolute bound: the date and time picked (local time), sent as ISO 8601.
      const instant = picked.value ? new Date(picked.value) : null;
      if (instant && !Number.isNaN(instant.getTime())) params.set(name, instant.toISOString());
      continue;
    }
    const value = data
      .getAll(name)
      .map((part) => String(part).trim())
      .filter(Boolean)
      .join(',');
    if (value) params.set(name, value);
  }
  return params;
}

/**
 * The record whose detail is open (null: none); the URL carries it as record=<id>.
 * @type {number | null}
 */
let openRecord = null;

/**
 * The crash group whose page the Crashes tab shows (null: the list); the URL carries it as group=<signature>.
 * @type {string | null}
 */
let openGroup = null;

/**
 * The page's address says what it shows: every filter, the open record and the tab (the hash);
 * replaced, not pushed, so the back button leaves the page as before.
 */
function updateUrl() {
  const params = filterParams();
  if (openRecord !== null) params.set('record', String(openRecord));
  if (openGroup !== null && activeTab === 'crashes') params.set('group', openGroup);
  if (activeTab === 'crashes' && $('#crash-show-hidden', HTMLInputElement).checked) params.set('hidden', 'include');
  history.replaceState(null, '', `${location.pathname}${[...params].length ? `?${params}` : ''}#${activeTab}`);
}

/** @param {string | null} message */
function showError(message) {
  const box = $('#error');
  box.textContent = message ?? '';
  box.hidden = !message;
}

/**
 * The session's value for the X-Telem-CSRF header (GET /api/session); null without a session.
 * @type {string | null}
 */
let csrf = null;
/** The login's role: the crash group's note form is for admins. @type {'read' | 'admin'} */
let role = 'read';

/**
 * A request to the collector as JSON; 401 opens the login page, any other error answer throws its message.
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {URLSearchParams} [params]
 * @param {unknown} [body] sent as JSON
 * @returns {Promise<T>}
 */
async function request(method, path, params, body) {
  const query = params && [...params].length ? `?${params}` : '';
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && csrf !== null) headers['X-Telem-CSRF'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${path}${query}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  /** @type {unknown} */
  const answer = await response.json().catch(() => null);
  if (response.status === 401) {
    location.assign('/login');
    throw new Error('not logged in: opening the login page');
  }
  if (!response.ok) {
    const message = typeof answer === 'object' && answer !== null && 'message' in answer ? String(answer.message) : `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return /** @type {T} */ (answer);
}

/**
 * GET `path` as JSON.
 * @template T
 * @param {string} path
 * @param {URLSearchParams} [params]
 * @returns {Promise<T>}
 */
const getJson = (path, params) => request('GET', path, params);

/** Who is logged in: the account and the logout button are shown for a browser session. */
async function loadSession() {
  /** @type {SessionAnswer} */
  const session = await getJson('/api/session');
  csrf = session.csrf;
  role = session.role;
  $('#account-name').textContent = `${session.name ?? ''} (${session.role})`;
  $('#account').hidden = session.via !== 'session';
}

async function logout() {
  await request('POST', '/logout');
  location.assign('/login');
}

/**
 * PUT `body` as JSON to `path`; an error answer throws its message.
 * @template T
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<T>}
 */
const putJson = (path, body) => request('PUT', path, undefined, body);

/** A creation_timestamp (unix seconds) in local time. @param {number} seconds */
const created = (seconds) => time(seconds * 1000);

/** The message of something thrown. @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** The severities the API knows (the choices of its severity filter), 1 to 4. */
function severities() {
  const filter = described.filters.find((candidate) => candidate.field === 'severity');
  return filter?.kind === 'choice' ? filter.values : [];
}

/** @param {number} severity */
function severityBadge(severity) {
  const name = severities().find((known) => known.value === severity)?.name ?? '';
  return el('span', { class: `sev sev-${severity}`, title: name }, severity);
}

/**
 * One cell of the record list: times in local time, severities as a badge, the rest as text cut to
 * the column's width (the whole value in its title).
 * @param {ColumnDescription} column
 * @param {RecordJson} record
 */
function cell(column, record) {
  const value = record[column.field];
  if (column.field === 'severity') return el('td', { class: 'severity' }, severityBadge(record.severity), filterButton('severity', String(record.severity)));
  const type = described.fields.find((field) => field.name === column.field)?.type;
  const text = value === null ? '' : type === 'time' ? time(String(value)) : column.field === 'creation_timestamp' ? created(Number(value)) : String(value);
  const shown = column.width === undefined ? text : text.slice(0, column.width);
  const node = el('td', { class: column.field, ...(shown === text ? {} : { title: text }) }, shown);
  // The machine by the characters shown (machine_id takes a prefix); the others by their whole value.
  const filter = CELL_FILTERS[column.field];
  if (filter && text) node.append(filterButton(filter, column.field === 'machine_id' ? shown : text));
  return node;
}

/**
 * The cells a click filters by, and the filter each sets.
 * @type {Partial<Record<string, string>>}
 */
const CELL_FILTERS = { classification: 'classification', machine_id: 'machine_id', build: 'build', system_name: 'system_name' };

/**
 * A small button in a cell that sets filter `name` to `value` and lists again (the row's own click opens the detail).
 * @param {string} name
 * @param {string} value
 */
function filterButton(name, value) {
  const button = el('button', { type: 'button', class: 'cell-filter', title: `only ${name} ${value}`, 'aria-label': `filter by ${name} ${value}` }, '⊕');
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    const node = control(name);
    if (node instanceof HTMLSelectElement && node.multiple) for (const option of node.options) option.selected = option.value === value;
    else node.value = value;
    void refresh();
  });
  return button;
}

/**
 * @param {RecordJson} record
 * @param {boolean} fresh
 */
function recordRow(record, fresh) {
  const row = el(
    'tr',
    { 'data-id': record.id, tabindex: 0, 'aria-label': `record ${record.id}: open its detail`, ...(fresh ? { class: 'fresh' } : {}) },
    ...described.columns.map((column) => cell(column, record)),
  );
  const open = () => showDetail(record.id).catch((error) => showError(messageOf(error)));
  row.addEventListener('click', open);
  // Reachable with Tab, opened with Enter or Space (the filter buttons inside keep their own keys).
  row.addEventListener('keydown', (event) => {
    if (event.target !== row || (event.key !== 'Enter' && event.key !== ' ')) return;
    event.preventDefault();
    void open();
  });
  return row;
}

async function loadRecords({ append = false } = {}) {
  const params = filterParams();
  params.set('limit', '50');
  if (append && nextCursor) params.set('cursor', nextCursor);
  /** @type {RecordsPage} */
  const page = await getJson('/api/records', params);
  const body = $('#record-table tbody');
  if (!append) body.replaceChildren();
  for (const record of page.records) body.append(recordRow(record, false));
  if (!append) newestId = page.records[0]?.id ?? 0;
  nextCursor = page.next_cursor;
  $('#more').hidden = !nextCursor;
  showEmpty(
    $('#empty'),
    body.children.length === 0,
    "No records yet: point an agent at this collector's /telem/v1/records, or POST records to /v3/collector.",
    'No records match these filters — ',
  );
}

// Live view: new records matching the filters are added on top, the rest of the list stays.
async function refreshRecords() {
  const params = filterParams();
  params.set('limit', '50');
  /** @type {RecordsPage} */
  const page = await getJson('/api/records', params);
  const fresh = page.records.filter((record) => record.id > newestId);
  if (fresh.length === 0) return;
  const body = $('#record-table tbody');
  if (fresh.length === page.records.length) {
    // More arrived than one page holds: start over from the newest page.
    return loadRecords();
  }
  body.prepend(...fresh.map((record) => recordRow(record, true)));
  newestId = fresh[0]?.id ?? newestId;
  $('#empty').hidden = true;
}

/**
 * An empty list's message, which says what to do: without filters, how records arrive; with some, a
 * button that clears them.
 * @param {HTMLElement} box
 * @param {boolean} empty
 * @param {string} none
 * @param {string} filtered
 */
function showEmpty(box, empty, none, filtered) {
  box.hidden = !empty;
  if (!empty) return;
  if ([...filterParams()].length === 0) return box.replaceChildren(none);
  const clear = el('button', { type: 'button', class: 'clear-filters' }, 'clear them');
  clear.addEventListener('click', clearFilters);
  box.replaceChildren(filtered, clear);
}

/** Every filter back to none (the crash view's signature and first frame too), and the list again. */
function clearFilters() {
  control('first_frame').value = '';
  control('signature').value = '';
  form.reset();
}

/** @param {number} id */
async function showDetail(id) {
  /** @type {RecordJson} */
  const record = await getJson(`/api/records/${id}`);
  $('#detail-id').textContent = `#${record.id}`;
  const list = $('#detail-fields');
  list.replaceChildren();
  for (const { name } of described.fields) {
    // The payload has a section of its own.
    if (name === 'payload') continue;
    const value = String(record[name] ?? '—');
    // Both times readable: the creation time (unix seconds, as the probe sent it) and the reception time.
    const shown = name === 'creation_timestamp' ? `${created(record.creation_timestamp)} (${value})` : name === 'received_at' ? `${time(value)} (${value})` : value;
    list.append(el('dt', {}, name), el('dd', {}, shown));
  }
  $('#detail pre.payload').textContent = record.payload;
  $('#detail').hidden = false;
  openRecord = record.id;
  updateUrl();
}

function closeDetail() {
  $('#detail').hidden = true;
  // Back to the row it was opened from, for the keyboard.
  const row = openRecord === null ? null : document.querySelector(`#record-table tbody tr[data-id="${openRecord}"]`);
  if (row instanceof HTMLElement) row.focus();
  openRecord = null;
  updateUrl();
}

async function loadCharts() {
  /** @type {RecordStats} */
  const stats = await getJson('/api/stats', filterParams());
  const { buckets, bucket_ms: bucketMs } = stats.over_time;
  const severitySeries = severities().map(({ value }) => /** @type {Series} */ ([String(value), SEVERITY_COLORS[value] ?? PALETTE.at(-1) ?? '']));
  stackedChart(
    $('#chart-severity'),
    buckets.map((b) => ({ start: b.start, values: b.by_severity })),
    severitySeries,
    bucketMs,
    zoomTo('since', 'until'),
  );
  const names = [...new Set(buckets.flatMap((b) => Object.keys(b.by_classification)))];
  const classSeries = names.map((name, index) => /** @type {Series} */ ([name, PALETTE[index % PALETTE.length] ?? '']));
  stackedChart(
    $('#chart-classification'),
    buckets.map((b) => ({ start: b.start, values: b.by_classification })),
    classSeries,
    bucketMs,
    zoomTo('since', 'until'),
  );
  barChart(
    $('#chart-builds'),
    stats.by_build.map((b) => ({ label: b.build, value: b.count })),
    '#2463c7',
  );
  const population = [...stats.by_build].sort((a, b) => b.machines - a.machines);
  barChart(
    $('#chart-population'),
    population.map((b) => ({ label: b.build, value: b.machines })),
    '#2f9e6e',
  );
}

async function loadBuilds() {
  /** @type {PopulationAnswer} */
  const view = await getJson('/api/population', filterParams());
  showBuilds($('#builds-view'), view, zoomTo('created_since', 'created_until'));
}

async function loadMachineChecks() {
  const params = filterParams();
  // The view's classifications are its own.
  params.delete('classification');
  /** @type {MachineChecksAnswer} */
  const answer = await getJson('/api/machine-checks', params);
  showMachineChecks($('#mce-view'), answer, zoomTo('created_since', 'created_until'));
}

/** The aggregate views the live tick reads again every few seconds, by tab. @type {Record<string, () => Promise<void>>} */
const AGGREGATE_VIEWS = { charts: loadCharts, crashes: loadCrashes, builds: loadBuilds, mce: loadMachineChecks, fleet: loadFleet };

async function loadCrashes() {
  if (openGroup !== null) return loadCrashGroup(openGroup);
  $('#crash-list').hidden = false;
  $('#crash-group').hidden = true;
  const params = filterParams();
  // The crash view shows every group; the frame filters are what a click on a group sets.
  params.delete('first_frame');
  params.delete('signature');
  if ($('#crash-show-hidden', HTMLInputElement).checked) params.set('hidden', 'include');
  /** @type {CrashesAnswer} */
  const answer = await getJson('/api/crashes', params);
  $('#crash-classifications').textContent = answer.classification.join(', ');
  const body = $('#crash-table tbody');
  body.replaceChildren();
  for (const group of answer.groups) {
    const row = el(
      'tr',
      { 'data-signature': group.signature ?? '' },
      el(
        'td',
        { class: 'signature' },
        el('code', {}, group.signature ?? '(no backtrace frame)'),
        ...(group.hidden ? [' ', el('span', { class: 'state state-hidden' }, 'hidden')] : []),
        ...(group.comment === null ? [] : [el('div', { class: 'hint comment' }, group.comment)]),
      ),
      el('td', { class: 'first-frame' }, el('code', {}, group.first_frame ?? '')),
      el('td', {}, group.count),
      el('td', {}, group.machines),
      el('td', {}, group.builds),
      el('td', {}, time(group.last_received)),
    );
    const { signature } = group;
    if (signature !== null) {
      row.classList.add('opens');
      if (group.hidden) row.classList.add('hidden-group');
      row.addEventListener('click', () => {
        openGroup = signature;
        void refresh();
      });
    }
    body.append(row);
  }
  showEmpty(
    $('#no-crashes'),
    answer.groups.length === 0,
    'No crash groups yet: crash and kernel oops records appear here, grouped by signature, once probes send them.',
    'No crash records match these filters — ',
  );
  if (!rulesShown) await loadCrashRules();
}

/**
 * The page of the crash group `signature`, narrowed by the filters (the signature is the page's own).
 * @param {string} signature
 */
async function loadCrashGroup(signature) {
  const params = filterParams();
  params.delete('first_frame');
  params.delete('signature');
  /** @type {CrashGroupAnswer} */
  const group = await getJson(`/api/crash-groups/${encodeURIComponent(signature)}`, params);
  // The answer may come after another group was opened, or the list again.
  if (openGroup !== signature) return;
  showCrashGroup(group, { canEdit: role === 'admin', onZoom: zoomTo('created_since', 'created_until') });
  // Shown once filled, so it never shows another group's figures meanwhile.
  $('#crash-list').hidden = true;
  $('#crash-group').hidden = false;
}

async function saveCrashGroupNote() {
  const signature = openGroup;
  if (signature === null) return;
  const status = $('#crash-group-note-status');
  const data = new FormData($('#crash-group-note', HTMLFormElement));
  status.textContent = 'saving…';
  try {
    /** @type {CrashGroupNoteAnswer} */
    const note = await putJson(`/api/crash-groups/${encodeURIComponent(signature)}`, { comment: String(data.get('comment') ?? '').trim(), hidden: data.get('hidden') === 'on' });
    status.textContent = note.hidden ? 'saved: hidden from the crash list' : 'saved';
    await loadCrashGroup(signature);
  } catch (error) {
    status.textContent = messageOf(error);
  }
}

/** The skip list's editor shows the stored list once the tab opens, and again after a save, never over an edit. */
let rulesShown = false;
const rulesForm = $('#crash-rules-form', HTMLFormElement);

/** One editable rule: its pattern, its note, and a button that removes it. @param {string} pattern @param {string} note */
function ruleRow(pattern, note) {
  const remove = el('button', { type: 'button', class: 'remove', title: 'remove this rule' }, 'Remove');
  const row = el(
    'tr',
    {},
    el('td', {}, el('input', { name: 'pattern', value: pattern, placeholder: 'raise' })),
    el('td', { class: 'note' }, el('input', { name: 'note', value: note, placeholder: 'why this frame says nothing about the crash' })),
    el('td', {}, remove),
  );
  remove.addEventListener('click', () => row.remove());
  return row;
}

async function loadCrashRules() {
  /** @type {CrashRulesAnswer} */
  const answer = await getJson('/api/crash-rules');
  $('#crash-rules-table tbody').replaceChildren(...answer.rules.map((rule) => ruleRow(rule.pattern, rule.note ?? '')));
  $('#crash-rules-count').textContent = `${plural(answer.rules.length, 'rule')}, version ${answer.version}`;
  rulesShown = true;
}

/** The rules as edited, in order; rows with neither a pattern nor a note are left out. */
function editedRules() {
  return [...$('#crash-rules-table tbody').querySelectorAll('tr')].flatMap((row) => {
    const [pattern, note] = ['pattern', 'note'].map((name) => {
      const input = row.querySelector(`input[name="${name}"]`);
      return input instanceof HTMLInputElement ? input.value.trim() : '';
    });
    if (!pattern && !note) return [];
    return [note ? { pattern: pattern ?? '', note } : { pattern: pattern ?? '' }];
  });
}

async function saveCrashRules() {
  const status = $('#crash-rules-status');
  status.textContent = 'saving…';
  try {
    /** @type {CrashRulesChangeAnswer} */
    const change = await putJson('/api/crash-rules', { rules: editedRules() });
    await loadCrashRules();
    status.textContent = `saved version ${change.version}: ${plural(change.regrouped, 'record')} regrouped`;
    await loadCrashes();
  } catch (error) {
    status.textContent = messageOf(error);
  }
}

/**
 * The states an agent reports, in the order a change goes through them (fleet/states.ts FLEET_STATES;
 * typed against FleetState, so a state the server does not know fails the UI's type check).
 * @type {readonly FleetState[]}
 */
const FLEET_STATES = ['downloading', 'verifying', 'applying', 'applied', 'healthy', 'failed', 'rolled_back'];
const fleetForm = $('#fleet-filters', HTMLFormElement);

/** @param {string} state @param {number} [count] */
function stateBadge(state, count) {
  return el('span', { class: `state state-${state}` }, count === undefined ? state : `${state} ${count}`);
}

/** @param {number | null} value */
const orDash = (value) => (value === null ? '—' : value);

/**
 * A staged rollout's arms and the states of its machines, in the order a machine goes through them
 * (fleet/states.ts ROLLOUT_ARMS and ROLLOUT_STATES; typed against the server's, as FLEET_STATES).
 * @type {readonly RolloutArm[]}
 */
const ROLLOUT_ARMS = ['candidate', 'stable'];
/** @type {readonly RolloutState[]} */
const ROLLOUT_STATES = ['baking', 'healthy', 'rolled_back', 'failed', 'waiting', 'halted', 'expired'];

/** A ratio as a percentage (two decimals at most), — for none. @param {number | null} ratio */
const percent = (ratio) => (ratio === null ? '—' : `${Math.round(ratio * 10_000) / 100}%`);

/**
 * Machines by rollout state, as badges.
 * @param {Readonly<Partial<Record<RolloutState, number>>> | undefined} counts
 */
function rolloutStates(counts) {
  return ROLLOUT_STATES.flatMap((state) => {
    const count = counts?.[state];
    return count ? [stateBadge(state, count), ' '] : [];
  });
}

/** The rollout's halt: who halted it, when and why, or running (and who resumed it). @param {RolloutView['halt']} halt */
function haltLine(halt) {
  if (halt.halted) {
    return el(
      'p',
      { class: 'halt halted' },
      stateBadge('halted'),
      ` by ${halt.by ?? '?'} at ${halt.at === null ? '?' : time(halt.at)}: `,
      el('span', { class: 'halt-reason' }, halt.reason ?? ''),
    );
  }
  const resumed = halt.at === null ? '' : ` (resumed by ${halt.by ?? '?'} at ${time(halt.at)})`;
  return el('p', { class: 'halt running' }, stateBadge('running'), resumed);
}

/**
 * A table with headings `columns` and `rows`.
 * @param {string} className
 * @param {string[]} columns
 * @param {HTMLElement[]} rows
 */
function table(className, columns, rows) {
  return el('table', { class: className }, el('thead', {}, el('tr', {}, ...columns.map((column) => el('th', {}, column)))), el('tbody', {}, ...rows));
}

/**
 * One staged rollout: its heading and halt, each step with its time window and machines per arm and
 * state, the arms' counters, the gates machines failed with.
 * @param {RolloutView} rollout
 */
function rolloutBlock(rollout) {
  const heading = el(
    'h3',
    {},
    el('code', { class: 'rollout-id' }, rollout.id),
    ` on ${rollout.channel}${rollout.sequence === null ? '' : `, sequence ${rollout.sequence}`}, ${plural(rollout.machines, 'machine')}`,
  );
  const period = `start ${rollout.start === null ? '?' : time(rollout.start)}, ${rollout.deadline === null ? 'no deadline' : `deadline ${time(rollout.deadline)}`}`;
  const steps = rollout.steps.map((step) => {
    const arms = ROLLOUT_ARMS.filter((arm) => step.machines[arm]).map((arm) => el('div', { 'data-arm': arm }, `${arm}: `, ...rolloutStates(step.machines[arm])));
    return el(
      'tr',
      { 'data-step': step.step },
      el('td', {}, step.step),
      el('td', {}, `${step.percent}%`),
      el('td', { class: 'window' }, el('span', {}, time(step.begins)), ' – ', el('span', {}, time(step.ends))),
      el('td', {}, percent(step.max_failure_rate)),
      el('td', { class: 'arms' }, ...(arms.length > 0 ? arms : [el('span', { class: 'hint' }, 'no machine')])),
    );
  });
  if (ROLLOUT_STATES.some((state) => rollout.unstepped[state])) {
    steps.push(el('tr', { 'data-step': 'none' }, el('td', { colspan: 4 }, 'before the start'), el('td', { class: 'arms' }, ...rolloutStates(rollout.unstepped))));
  }
  const arms = ROLLOUT_ARMS.map((arm) => {
    /** @type {ArmCounters} */
    const counters = rollout.arms[arm];
    return el(
      'tr',
      { 'data-arm': arm },
      el('td', {}, arm),
      el('td', {}, counters.machines),
      el('td', {}, counters.accepted),
      el('td', {}, counters.delivered),
      el('td', {}, counters.failed),
      el('td', {}, counters.dropped),
      el('td', {}, percent(counters.delivery_failure_ratio)),
      el('td', {}, percent(counters.drop_ratio)),
    );
  });
  const gates = rollout.failing_gates.map((gate) =>
    el('tr', { 'data-gate': gate.name }, el('td', { class: 'gate' }, gate.name), el('td', {}, gate.machines), el('td', {}, orDash(gate.value)), el('td', {}, orDash(gate.threshold))),
  );
  return el(
    'div',
    { class: 'rollout', 'data-rollout': rollout.id, 'data-channel': rollout.channel },
    heading,
    haltLine(rollout.halt),
    el('p', { class: 'hint' }, period),
    table('rollout-steps', ['step', 'percent', 'time window', 'max_failure_rate', 'machines per arm and state'], steps),
    table('rollout-arms', ['arm', 'machines', 'accepted', 'delivered', 'failed', 'dropped', 'delivery failure ratio', 'drop ratio'], arms),
    gates.length > 0 ? table('rollout-gates', ['failing gate', 'machines', 'highest value', 'threshold'], gates) : el('p', { class: 'hint no-gates' }, 'No machine failed a gate.'),
  );
}

async function loadFleet() {
  const params = new URLSearchParams();
  const data = new FormData(fleetForm);
  for (const name of ['channel', 'state']) {
    const value = String(data.get(name) ?? '').trim();
    if (value) params.set(name, value);
  }
  params.set('limit', '500');
  /** @type {FleetAnswer} */
  const fleet = await getJson('/api/fleet', params);
  const groups = $('#fleet-groups tbody');
  groups.replaceChildren();
  for (const { channel, sequences } of fleet.channels) {
    for (const group of sequences) {
      const states = FLEET_STATES.flatMap((state) => {
        const count = group.states[state];
        return count ? [stateBadge(state, count)] : [];
      });
      const failures = group.failures.map((failure) => el('div', {}, `${failure.machines} × ${failure.reason}`));
      groups.append(
        el(
          'tr',
          { 'data-channel': channel, 'data-sequence': group.sequence ?? 'local' },
          el('td', {}, channel),
          el('td', {}, group.sequence ?? 'local policy'),
          el('td', {}, group.machines),
          el('td', { class: 'states' }, ...states),
          el('td', { class: 'reason' }, ...failures),
        ),
      );
    }
  }
  $('#fleet-rollouts').replaceChildren(...fleet.rollouts.map(rolloutBlock));
  $('#no-rollouts').hidden = fleet.rollouts.length > 0;
  const machines = $('#fleet-table tbody');
  machines.replaceChildren();
  for (const machine of fleet.machines) {
    const failed = machine.last_failed === null ? '—' : `${machine.last_failed.sequence}: ${machine.last_failed.reason}`;
    machines.append(
      el(
        'tr',
        { 'data-machine': machine.machine_id },
        el('td', { class: 'machine_id' }, machine.machine_id),
        el('td', { title: machine.tenant }, machine.tenant.slice(0, 8)),
        el('td', {}, machine.channel),
        el('td', { class: 'sequence' }, machine.active ?? 'local policy'),
        el('td', { class: 'machine-state' }, stateBadge(machine.state)),
        el('td', {}, orDash(machine.previous)),
        el('td', {}, orDash(machine.desired)),
        el('td', { class: 'reason' }, failed),
        el('td', {}, machine.agent_version),
        el('td', {}, time(machine.seen_at)),
        el('td', {}, time(machine.received_at)),
      ),
    );
  }
  $('#fleet-count').textContent = fleet.machines.length < fleet.total_machines ? `${fleet.machines.length} of ${fleet.total_machines} machines listed` : `${fleet.total_machines} machines`;
  $('#no-fleet').hidden = fleet.total_machines > 0;
}

async function loadSummary() {
  /** @type {RecordStats} */
  const stats = await getJson('/api/stats', filterParams());
  $('#summary').textContent = `${stats.total} records from ${stats.machines} machines`;
}

async function refresh() {
  const params = filterParams();
  updateUrl();
  showZoomOut();
  for (const format of ['csv', 'ndjson']) {
    const exportParams = new URLSearchParams(params);
    exportParams.set('format', format);
    $(`#export-${format}`, HTMLAnchorElement).href = `/api/records?${exportParams}`;
  }
  const signature = params.get('signature');
  const frame = params.get('first_frame');
  $('#frame-filter').hidden = !signature && !frame;
  $('#frame-filter .frame-filter-kind').textContent = signature ? 'signature' : 'first frame';
  $('#frame-filter code').textContent = signature ?? frame ?? '';
  try {
    showError(null);
    if (activeTab === 'records') await loadRecords();
    if (activeTab === 'charts') await loadCharts();
    if (activeTab === 'crashes') await loadCrashes();
    if (activeTab === 'builds') await loadBuilds();
    if (activeTab === 'mce') await loadMachineChecks();
    if (activeTab === 'fleet') await loadFleet();
    await loadSummary();
  } catch (error) {
    showError(messageOf(error));
  }
}

/** @param {string} name */
function selectTab(name) {
  activeTab = name;
  for (const button of tabButtons()) button.classList.toggle('active', button.dataset.tab === name);
  for (const section of document.querySelectorAll('.tab')) section.classList.toggle('active', section.id === `tab-${name}`);
  // The record filters do not apply to the fleet, which has its own.
  form.hidden = name === 'fleet';
  return refresh();
}

/**
 * Sets the time filter `name` to an absolute bound (the date picker, in local time, to the minute), or to none.
 * @param {string} name
 * @param {number | null} instant ms since the epoch
 */
function setTimeBound(name, instant) {
  const node = control(name);
  const picker = form.querySelector(`input[data-date-for="${name}"]`);
  if (!(node instanceof HTMLSelectElement) || !(picker instanceof HTMLInputElement)) return;
  node.value = instant === null ? '' : DATE_CHOICE;
  picker.hidden = instant === null;
  picker.value = instant === null ? '' : new Date(instant - new Date(instant).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** The time filters a chart's zoom sets, by the time it is drawn over (reception or creation). */
const TIME_BOUNDS = [
  ['since', 'until'],
  ['created_since', 'created_until'],
];

/**
 * What each time filter said before each zoom, the latest last: what Zoom out goes back to.
 * @type {Record<string, string | null>[]}
 */
const zoomHistory = [];

/**
 * The zoom of a chart drawn over the time the filters `lower` and `upper` bound: the range dragged
 * across becomes their absolute bounds, and the views are read again (the address follows).
 * @param {string} lower
 * @param {string} upper
 * @returns {(from: number, to: number) => void}
 */
function zoomTo(lower, upper) {
  return (from, to) => {
    const params = filterParams();
    zoomHistory.push(Object.fromEntries(TIME_BOUNDS.flat().map((name) => [name, params.get(name)])));
    setTimeBound(lower, from);
    setTimeBound(upper, to);
    void refresh();
  };
}

/** Back to the time filters before the last zoom; without one (a page opened at its address), the absolute bounds go. */
function zoomOut() {
  const before = zoomHistory.pop();
  for (const name of TIME_BOUNDS.flat()) {
    const node = control(name);
    const value = before ? (before[name] ?? null) : node.value === DATE_CHOICE ? null : node.value || null;
    if (value !== null && [...(node instanceof HTMLSelectElement ? node.options : [])].some((option) => option.value === value)) {
      setTimeBound(name, null);
      node.value = value;
    } else {
      setTimeBound(name, value === null ? null : Date.parse(value));
    }
  }
  void refresh();
}

/** Zoom out is offered while a zoom can be undone or a time filter has an absolute bound. */
function showZoomOut() {
  $('#zoom-out').hidden = zoomHistory.length === 0 && !TIME_BOUNDS.flat().some((name) => control(name).value === DATE_CHOICE);
}

function restoreFilters() {
  const params = new URLSearchParams(location.search);
  for (const { name } of described.filters) {
    if (!params.has(name)) continue;
    const node = control(name);
    const value = params.getAll(name).join(',');
    if (node instanceof HTMLSelectElement && node.multiple) {
      const chosen = value.split(',').map((part) => part.trim());
      for (const option of node.options) option.selected = chosen.includes(option.value);
    } else if (node instanceof HTMLSelectElement && value && ![...node.options].some((option) => option.value === value)) {
      // A time filter with an absolute bound: shown in the date picker, in local time.
      const instant = new Date(/^\d+$/.test(value) ? Number(value) * 1000 : value);
      if (!Number.isNaN(instant.getTime())) setTimeBound(name, instant.getTime());
    } else {
      node.value = value;
    }
  }
}

/**
 * The form control of one filter, by its kind. first_frame and signature are hidden inputs: the
 * crash view sets them and #frame-filter shows them.
 * @param {FilterDescription} filter
 */
function filterControl(filter) {
  if (filter.name === 'first_frame' || filter.name === 'signature') return el('input', { type: 'hidden', name: filter.name });
  /** @type {HTMLElement} */
  let input;
  if (filter.kind === 'choice') {
    // Several may be chosen (none: any); the request sends them comma-separated.
    const size = Math.min(filter.values.length, 4);
    const title = 'none chosen: any; Ctrl or Shift + click chooses several';
    input = el('select', { name: filter.name, multiple: '', size, title }, ...filter.values.map(({ value, name }) => el('option', { value }, `${value} ${name}`)));
  } else if (filter.kind === 'search') {
    input = el('input', { type: 'search', name: filter.name, size: 24, placeholder: 'words, "quoted phrases"', title: 'records whose payload has all these words and "quoted phrases"' });
  } else if (filter.kind === 'time') {
    const choices = TIME_CHOICES.map(([value, lower, upper]) => el('option', { value }, filter.bound === 'lower' ? lower : upper));
    const date = el('option', { value: DATE_CHOICE }, filter.bound === 'lower' ? 'from a date…' : 'before a date…');
    const select = el('select', { name: filter.name }, el('option', { value: '' }, 'any time'), ...choices, date);
    // Unnamed: filterParams sends its value (as ISO 8601) under the select's name when the select says so.
    const picker = el('input', { type: 'datetime-local', 'data-date-for': filter.name, 'aria-label': `${filter.label}: date and time`, hidden: '' });
    const sync = () => (picker.hidden = !(select instanceof HTMLSelectElement && select.value === DATE_CHOICE));
    select.addEventListener('change', sync);
    form.addEventListener('reset', () => setTimeout(sync));
    return el('label', {}, `${filter.label} `, select, picker);
  } else if (filter.kind === 'pattern') {
    input = el('input', { name: filter.name, placeholder: filter.example });
  } else {
    input = el('input', { name: filter.name, size: 10 });
  }
  return el('label', {}, `${filter.label} `, input);
}

/** Builds the filter form's controls and the list's headings from GET /api/fields. */
async function describe() {
  described = await getJson('/api/fields');
  $('#filters button[type="submit"]').before(...described.filters.map(filterControl));
  $('#record-table thead tr').replaceChildren(...described.columns.map((column) => el('th', {}, column.label)));
}

// New records show within a second; aggregate views (which scan more) refresh every few seconds.
let ticks = 0;
async function tick() {
  ticks += 1;
  if (/** @type {HTMLInputElement} */ (control('live')).checked && !document.hidden) {
    try {
      if (activeTab === 'records') await refreshRecords();
      // A crash group's page is not read again on its own: it holds the note being edited.
      else if (ticks % 5 === 0 && !(activeTab === 'crashes' && openGroup !== null)) await AGGREGATE_VIEWS[activeTab]?.();
      if (ticks % 5 === 0) await loadSummary();
      showError(null);
    } catch (error) {
      showError(messageOf(error));
    }
  }
  setTimeout(tick, LIVE_INTERVAL_MS);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh();
});
form.addEventListener('reset', () => setTimeout(refresh));
$('#more').addEventListener('click', () => loadRecords({ append: true }).catch((error) => showError(messageOf(error))));
$('#close-detail').addEventListener('click', closeDetail);
$('#logout').addEventListener('click', () => logout().catch((error) => showError(messageOf(error))));
$('#frame-filter button').addEventListener('click', () => {
  // Only the crash view's filter: the others stay.
  control('first_frame').value = '';
  control('signature').value = '';
  void refresh();
});
$('#zoom-out').addEventListener('click', zoomOut);
$('#crash-show-hidden').addEventListener('change', () => void refresh());
$('#crash-group-back').addEventListener('click', () => {
  openGroup = null;
  void refresh();
});
$('#crash-group-list').addEventListener('click', () => {
  // The group's records in the list: what a click on a group did before groups had pages.
  control('signature').value = openGroup ?? '';
  control('first_frame').value = '';
  openGroup = null;
  void selectTab('records');
});
$('#crash-group-note').addEventListener('submit', (event) => {
  event.preventDefault();
  void saveCrashGroupNote();
});
$('#crash-rule-add').addEventListener('click', () => {
  const row = ruleRow('', '');
  $('#crash-rules-table tbody').append(row);
  row.querySelector('input')?.focus();
});
rulesForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void saveCrashRules();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !$('#detail').hidden) closeDetail();
});
const stateSelect = fleetForm.elements.namedItem('state');
if (stateSelect instanceof HTMLSelectElement) stateSelect.append(...FLEET_STATES.map((state) => el('option', { value: state }, state)));
fleetForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh();
});
for (const button of tabButtons()) {
  button.addEventListener('click', () => {
    // The Crashes tab's button shows the list of groups, also from a group's page.
    openGroup = null;
    void selectTab(button.dataset.tab ?? 'records');
  });
}

const TABS = ['records', 'charts', 'crashes', 'builds', 'mce', 'fleet'];

async function start() {
  await loadSession();
  await describe();
  restoreFilters();
  const initialTab = location.hash.slice(1);
  // A permalink to a record opens its detail (and the address keeps it meanwhile).
  const record = Number(new URLSearchParams(location.search).get('record'));
  if (Number.isSafeInteger(record) && record > 0) openRecord = record;
  // A permalink to a crash group opens its page.
  openGroup = initialTab === 'crashes' ? new URLSearchParams(location.search).get('group') : null;
  $('#crash-show-hidden', HTMLInputElement).checked = initialTab === 'crashes' && new URLSearchParams(location.search).get('hidden') === 'include';
  // An address that differs only in its hash (a link to another tab, a hash typed in) loads no page: switch the tab.
  // Listened for from the moment the hash was read, so a change while the first tab loads is not missed.
  window.addEventListener('hashchange', () => {
    const name = location.hash.slice(1);
    if (TABS.includes(name) && name !== activeTab) selectTab(name).catch((error) => showError(messageOf(error)));
  });
  await selectTab(TABS.includes(initialTab) ? initialTab : 'records');
  if (openRecord !== null) await showDetail(openRecord);
  setTimeout(tick, LIVE_INTERVAL_MS);
}

start().catch((error) => showError(messageOf(error)));
