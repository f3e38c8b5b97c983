// @ts-check
// The Builds tab (GET /api/population) and the Machine checks tab (GET /api/machine-checks): records
// and machines per build and OS over creation time, and the MCE and thermal records by kind, build
// and machine. Time charts zoom the creation-time filters (charts.js).
import { PALETTE, barChart, lineChart, stackedChart } from './charts.js';
import { el, time } from './dom.js';

/** @typedef {import('../../query/answers.js').PopulationView} PopulationView */
/** @typedef {import('../../query/answers.js').PopulationCounts} PopulationCounts */
/** @typedef {import('../../query/answers.js').ClassifiedPopulation} ClassifiedPopulation */
/** @typedef {import('./charts.js').OnZoom} OnZoom */
/** @typedef {import('./charts.js').Series} Series */

/**
 * A titled chart box, the chart drawn into it by `draw`.
 * @param {string} title
 * @param {string} className
 * @param {(container: HTMLElement) => void} draw
 */
function chartBox(title, className, draw) {
  const container = el('div', { class: 'chart-body' });
  draw(container);
  return el('div', { class: className }, el('h3', {}, title), container);
}

/**
 * One count (records or machines) per series over time, stacked.
 * @param {PopulationView} view
 * @param {'by_build' | 'by_system' | 'by_classification'} field
 * @param {'records' | 'machines'} count
 * @param {OnZoom} onZoom
 * @returns {(container: HTMLElement) => void}
 */
function seriesOverTime(view, field, count, onZoom) {
  const { buckets, bucket_ms: bucketMs } = view.over_time;
  const names = [...new Set(buckets.flatMap((bucket) => Object.keys(bucket[field])))].sort((a, b) => (a === 'other' ? 1 : b === 'other' ? -1 : a.localeCompare(b, 'en', { numeric: true })));
  const series = names.map((name, index) => /** @type {Series} */ ([name, PALETTE[index % PALETTE.length] ?? '']));
  return (container) =>
    stackedChart(
      container,
      buckets.map((bucket) => ({ start: bucket.start, values: Object.fromEntries(Object.entries(bucket[field]).map(([name, counts]) => [name, counts[count]])) })),
      series,
      bucketMs,
      onZoom,
    );
}

/**
 * @param {string} className
 * @param {string[]} columns
 * @param {(string | number)[][]} rows
 */
function table(className, columns, rows) {
  return el(
    'table',
    { class: className },
    el('thead', {}, el('tr', {}, ...columns.map((column) => el('th', {}, column)))),
    el('tbody', {}, ...rows.map((row) => el('tr', {}, ...row.map((value) => el('td', {}, value))))),
  );
}

/** @param {PopulationView} view */
function machinesTable(view) {
  return table(
    'population-machines',
    ['machine', 'records', 'builds', 'last seen'],
    view.by_machine.map((machine) => [machine.machine_id, machine.records, machine.builds, time(machine.last_created)]),
  );
}

/** @param {PopulationView} view */
function buildsTable(view) {
  return table(
    'population-builds',
    ['system', 'build', 'records', 'machines', 'first seen', 'last seen'],
    view.by_build.map((row) => [row.system_name, row.build, row.records, row.machines, time(row.first_created), time(row.last_created)]),
  );
}

/** @param {PopulationView} view */
function summary(view) {
  const span = view.first_created === null || view.last_created === null ? '' : `, created ${time(view.first_created)} to ${time(view.last_created)}`;
  return el('p', { class: 'hint population-summary' }, `${view.records} records from ${view.machines} machines${span}`);
}

/**
 * The Builds tab: records and machines per build and OS over creation time, and the lists.
 * @param {HTMLElement} container
 * @param {PopulationView} view
 * @param {OnZoom} onZoom
 */
export function showBuilds(container, view, onZoom) {
  container.replaceChildren(
    summary(view),
    chartBox('Records over creation time by build', 'chart', seriesOverTime(view, 'by_build', 'records', onZoom)),
    chartBox('Machines over creation time by build', 'chart', seriesOverTime(view, 'by_build', 'machines', onZoom)),
    chartBox('Machines over creation time by OS', 'chart', seriesOverTime(view, 'by_system', 'machines', onZoom)),
    el('div', { class: 'chart half' }, el('h3', {}, 'Builds'), buildsTable(view)),
    el(
      'div',
      { class: 'chart half' },
      el('h3', {}, 'Operating systems'),
      table(
        'population-systems',
        ['system', 'records', 'machines'],
        view.by_system.map((row) => [row.system_name, row.records, row.machines]),
      ),
    ),
  );
}

/**
 * The Machine checks tab: MCE records by kind over creation time, per build and machine; thermal events alike.
 * @param {HTMLElement} container
 * @param {{ mce: ClassifiedPopulation, thermal: ClassifiedPopulation }} answer
 * @param {OnZoom} onZoom
 */
export function showMachineChecks(container, answer, onZoom) {
  const { mce, thermal } = answer;
  const perBuild = (/** @type {PopulationView} */ view, /** @type {string} */ color) => (/** @type {HTMLElement} */ box) =>
    barChart(
      box,
      view.by_build.map((row) => ({ label: row.build, value: row.records })),
      color,
    );
  container.replaceChildren(
    el('h2', { id: 'mce-heading' }, 'Machine checks'),
    el('p', { class: 'hint' }, `Classifications ${mce.classification.join(', ')}: corrected errors and the uncorrected kinds.`),
    summary(mce),
    chartBox('Machine checks over creation time by kind', 'chart mce-time', seriesOverTime(mce, 'by_classification', 'records', onZoom)),
    chartBox('Machine checks per build', 'chart half mce-builds', perBuild(mce, '#c73232')),
    el('div', { class: 'chart half' }, el('h3', {}, 'Machines with the most machine checks'), machinesTable(mce)),
    el('h2', { id: 'thermal-heading' }, 'Thermal events'),
    el('p', { class: 'hint' }, `Classification ${thermal.classification.join(', ')}.`),
    summary(thermal),
    chartBox('Thermal events over creation time', 'chart thermal-time', (box) =>
      lineChart(
        box,
        thermal.over_time.buckets.map((bucket) => ({ start: bucket.start, value: bucket.records })),
        '#e07b1f',
        thermal.over_time.bucket_ms,
        onZoom,
      ),
    ),
    chartBox('Thermal events per build', 'chart half thermal-builds', perBuild(thermal, '#e07b1f')),
    el('div', { class: 'chart half' }, el('h3', {}, 'Machines with the most thermal events'), machinesTable(thermal)),
  );
}
