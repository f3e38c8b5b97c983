// @ts-check
// The UI's charts, plain SVG: stacked columns and a trend line over time, horizontal bars. A time
// chart given onZoom lets the pointer drag across it: the buckets covered become a time range.
import { el, svgEl } from './dom.js';

/** @typedef {[label: string, color: string]} Series */
/**
 * Called with the time range a drag covered, ms since the epoch: from the first bucket's start to the last one's end.
 * @typedef {(from: number, to: number) => void} OnZoom
 */

/** Colors of the series of a chart, in order. */
export const PALETTE = ['#2463c7', '#e07b1f', '#2f9e6e', '#c73232', '#8a5cc7', '#c9a400', '#1fa2b8', '#d45d9b', '#9aa3ad'];

const WIDTH = 900;
const HEIGHT = 180;
const LEFT = 36;
const BOTTOM = 20;
const TOP = 8;

/** @param {Series[]} entries */
function legend(entries) {
  return el(
    'div',
    { class: 'legend' },
    ...entries.map(([label, color]) => {
      // Set through the CSSOM: the page's Content-Security-Policy forbids inline style attributes.
      const swatch = el('i');
      swatch.style.background = color;
      return el('span', {}, swatch, label);
    }),
  );
}

/**
 * The frame of a time chart: the SVG with its value grid and, every few buckets, the time below.
 * @param {readonly { start: number }[]} buckets
 * @param {number} max
 * @param {number} bucketMs
 */
function timeFrame(buckets, max, bucketMs) {
  const svg = svgEl('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: '100%', role: 'img' });
  for (const fraction of [0, 0.5, 1]) {
    const y = HEIGHT - BOTTOM - fraction * (HEIGHT - BOTTOM - TOP);
    svg.append(svgEl('line', { x1: LEFT, x2: WIDTH, y1: y, y2: y, stroke: '#dde2e8' }));
    // Below 2 the middle line would repeat a whole number.
    if (fraction !== 0.5 || max >= 2) svg.append(svgEl('text', { x: LEFT - 4, y: y + 3, 'text-anchor': 'end' }, Math.round(fraction * max)));
  }
  const slot = (WIDTH - LEFT) / buckets.length;
  const labelEvery = Math.ceil(buckets.length / 8);
  buckets.forEach((bucket, index) => {
    if (index % labelEvery !== 0) return;
    const date = new Date(bucket.start);
    const label = bucketMs >= 86_400_000 ? date.toLocaleDateString() : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    svg.append(svgEl('text', { x: LEFT + index * slot + slot * 0.1, y: HEIGHT - 6 }, label));
  });
  return { svg, slot };
}

/**
 * Lets the pointer drag across the chart's buckets: a shaded band follows it, and letting go calls
 * onZoom with the range of the buckets it covered (a click without a drag is one bucket).
 * @param {SVGElement} svg
 * @param {readonly { start: number }[]} buckets
 * @param {number} bucketMs
 * @param {OnZoom} onZoom
 */
function dragToZoom(svg, buckets, bucketMs, onZoom) {
  const slot = (WIDTH - LEFT) / buckets.length;
  const band = svgEl('rect', { class: 'zoom-band', y: TOP, height: HEIGHT - BOTTOM - TOP, width: 0, x: LEFT, visibility: 'hidden' });
  svg.append(band);
  svg.classList.add('zoomable');
  svg.append(svgEl('title', {}, 'drag across the chart to zoom into that time'));
  /** The bucket under the pointer. @param {PointerEvent} event */
  const bucketAt = (event) => {
    const box = svg.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * WIDTH;
    return Math.min(buckets.length - 1, Math.max(0, Math.floor((x - LEFT) / slot)));
  };
  /** @type {number | null} */
  let anchor = null;
  /** @param {number} a @param {number} b */
  const shade = (a, b) => {
    const [first, last] = a <= b ? [a, b] : [b, a];
    band.setAttribute('x', String(LEFT + first * slot));
    band.setAttribute('width', String((last - first + 1) * slot));
    band.setAttribute('visibility', 'visible');
    return [first, last];
  };
  svg.addEventListener('pointerdown', (event) => {
    anchor = bucketAt(event);
    svg.setPointerCapture(event.pointerId);
    shade(anchor, anchor);
    event.preventDefault();
  });
  svg.addEventListener('pointermove', (event) => {
    if (anchor !== null) shade(anchor, bucketAt(event));
  });
  svg.addEventListener('pointerup', (event) => {
    if (anchor === null) return;
    const [first = 0, last = 0] = shade(anchor, bucketAt(event));
    anchor = null;
    band.setAttribute('visibility', 'hidden');
    const from = buckets[first]?.start;
    const to = buckets[last]?.start;
    if (from !== undefined && to !== undefined) onZoom(from, to + bucketMs);
  });
  svg.addEventListener('pointercancel', () => {
    anchor = null;
    band.setAttribute('visibility', 'hidden');
  });
}

/**
 * Stacked columns over time.
 * @param {HTMLElement} container
 * @param {{ start: number, values: Readonly<Record<string, number>> }[]} buckets
 * @param {Series[]} series
 * @param {number} bucketMs
 * @param {OnZoom} [onZoom]
 */
export function stackedChart(container, buckets, series, bucketMs, onZoom) {
  container.replaceChildren();
  if (buckets.length === 0) return container.append(el('p', { class: 'hint' }, 'No data.'));
  const max = Math.max(1, ...buckets.map((bucket) => series.reduce((sum, [key]) => sum + (bucket.values[key] ?? 0), 0)));
  const { svg, slot } = timeFrame(buckets, max, bucketMs);
  buckets.forEach((bucket, index) => {
    let y = HEIGHT - BOTTOM;
    const x = LEFT + index * slot + slot * 0.1;
    for (const [key, color] of series) {
      const count = bucket.values[key] ?? 0;
      if (!count) continue;
      const h = (count / max) * (HEIGHT - BOTTOM - TOP);
      y -= h;
      const rect = svgEl('rect', { x, y, width: Math.max(1, slot * 0.8), height: h, fill: color });
      rect.append(svgEl('title', {}, `${key}: ${count}`));
      svg.append(rect);
    }
  });
  if (onZoom) dragToZoom(svg, buckets, bucketMs, onZoom);
  container.append(svg, legend(series));
}

/**
 * A trend line over time, a dot per bucket with its count.
 * @param {HTMLElement} container
 * @param {{ start: number, value: number }[]} buckets
 * @param {string} color
 * @param {number} bucketMs
 * @param {OnZoom} [onZoom]
 */
export function lineChart(container, buckets, color, bucketMs, onZoom) {
  container.replaceChildren();
  if (buckets.length === 0) return container.append(el('p', { class: 'hint' }, 'No data.'));
  const max = Math.max(1, ...buckets.map((bucket) => bucket.value));
  const { svg, slot } = timeFrame(buckets, max, bucketMs);
  const points = buckets.map((bucket, index) => [LEFT + index * slot + slot / 2, HEIGHT - BOTTOM - (bucket.value / max) * (HEIGHT - BOTTOM - TOP)]);
  svg.append(svgEl('polyline', { points: points.map((point) => point.join(',')).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
  buckets.forEach((bucket, index) => {
    const [cx = 0, cy = 0] = points[index] ?? [];
    const dot = svgEl('circle', { cx, cy, r: 3, fill: color, 'data-start': bucket.start, 'data-value': bucket.value });
    dot.append(svgEl('title', {}, `${new Date(bucket.start).toLocaleString()}: ${bucket.value}`));
    svg.append(dot);
  });
  if (onZoom) dragToZoom(svg, buckets, bucketMs, onZoom);
  container.append(svg);
}

/**
 * Horizontal bars.
 * @param {HTMLElement} container
 * @param {{ label: string, value: number }[]} rows
 * @param {string} color
 */
export function barChart(container, rows, color) {
  container.replaceChildren();
  if (rows.length === 0) return container.append(el('p', { class: 'hint' }, 'No data.'));
  const shown = rows.slice(0, 15);
  const width = 440;
  const rowHeight = 18;
  const labelWidth = 110;
  const max = Math.max(1, ...shown.map((row) => row.value));
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${shown.length * rowHeight + 4}`, width: '100%', role: 'img' });
  shown.forEach((row, index) => {
    const y = index * rowHeight + 2;
    const w = (row.value / max) * (width - labelWidth - 50);
    svg.append(svgEl('text', { x: labelWidth - 6, y: y + 12, 'text-anchor': 'end' }, row.label.slice(0, 18)));
    svg.append(svgEl('rect', { x: labelWidth, y, width: Math.max(1, w), height: rowHeight - 4, fill: color }));
    svg.append(svgEl('text', { x: labelWidth + w + 4, y: y + 12 }, row.value));
  });
  container.append(svg);
}
