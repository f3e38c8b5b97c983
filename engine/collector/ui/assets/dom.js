// @ts-check
// Building the page: elements with their attributes and text (values are only ever inserted as text,
// never as HTML), and the page's formats. Shared by app.js and the views it imports.

/**
 * The page's element `selector` names, of class `type` (HTMLElement unless said): one of the page's
 * own, so a missing one is a bug in this script.
 * @template {Element} [E=HTMLElement]
 * @param {string} selector
 * @param {{ new (): E }} [type]
 * @returns {E}
 */
export function $(selector, type) {
  const node = document.querySelector(selector);
  if (!(node instanceof (type ?? HTMLElement))) throw new Error(`the page has no ${type?.name ?? 'HTMLElement'} ${selector}`);
  return /** @type {E} */ (node);
}

/**
 * An HTML element with attributes and children (nodes, or values inserted as text).
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {...(Node | string | number)} children
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {string | number} [text]
 */
export function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** @param {string | number} instant ISO 8601 or ms since the epoch */
export const time = (instant) => new Date(instant).toLocaleString();

/** @param {number} count @param {string} word */
export const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
