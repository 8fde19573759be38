// A small element builder. Every text goes in as a text node, never as HTML: record
// values, dead letters and task logs are arbitrary bytes from outside.

// h('td', {class: 'num', 'data-testid': 'x', onclick: fn}, 'text', childNode, [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// Replaces el's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Sets an element's text and its raw number (data-value, what tests read).
export function setNum(el, value, text) {
  if (!el) return;
  el.textContent = text;
  el.dataset.value = value === undefined || value === null ? '' : String(value);
}

// A table from column headings and rows of cells (strings or nodes).
export function table(attrs, heads, rows) {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)))),
    h('tbody', {}, rows),
  );
}

// A placeholder line for empty data ("no batches yet").
export const empty = (text, testid) => h('p', { class: 'empty', 'data-testid': testid }, text);

// An error line that stays on the page (never only in the console).
export const errorLine = (err, testid = 'error') =>
  h('p', { class: 'error', 'data-testid': testid, role: 'alert' }, String(err && err.message ? err.message : err));
