// Table page (#/table): the sink's table, cqlsh's role: its row count, its schema
// (columns, types, primary key), the latest rows, and a lookup by primary key.
// Data: GET /api/table, /api/table/rows?limit=, /api/table/rows?key=.
//
// Test hooks (data-testid; ids too for the inputs):
//   table-name, table-describe, table-rows-count (data-value), table-schema (table;
//   rows: schema-row, data-column, data-type, data-primary-key), table-latest (table),
//   table-latest-empty, table-refresh (button),
//   table-key (input, id), table-lookup (button, id), table-lookup-result (shows the row
//   as a table, data-found="true|false", or "no row with id ...")
import * as api from './api.js';
import { h, fill, setNum, table, empty, errorLine } from './dom.js';
import * as fmt from './format.js';

const LATEST = 20;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function mount(root) {
  const key = h('input', { id: 'table-key', 'data-testid': 'table-key', placeholder: 'primary key', size: 40, autocomplete: 'off' });
  const lookup = h('button', { id: 'table-lookup', 'data-testid': 'table-lookup', type: 'submit' }, 'Look up');
  const result = h('div', { id: 'table-lookup-result', 'data-testid': 'table-lookup-result' });
  const schemaBox = h('div');
  const latestBox = h('div');
  const refreshBtn = h('button', { type: 'button', class: 'link', 'data-testid': 'table-refresh' }, 'refresh');
  const keyLabel = h('span', {}, 'primary key');
  root.append(
    h('h2', {}, 'Table ', h('code', { 'data-testid': 'table-name' }), ' ', h('span', { class: 'sub' }, h('span', { class: 'num', 'data-testid': 'table-rows-count' }, '–'), ' rows')),
    h('p', { class: 'muted', 'data-testid': 'table-describe' }),
    h('form', { class: 'toolbar', 'data-testid': 'table-lookup-form', onsubmit: (ev) => (ev.preventDefault(), find()) }, h('label', {}, keyLabel, ' ', key), lookup),
    result,
    h('div', { class: 'cols' }, h('div', { class: 'panel' }, h('h3', {}, 'Schema'), schemaBox), h('div', { class: 'panel grow' }, h('h3', {}, `Latest ${LATEST} rows `, refreshBtn), latestBox)),
  );

  let stopped = false;
  let pk = null;  // the primary-key column {name, type}

  function renderInfo(t) {
    root.querySelector('[data-testid="table-name"]').textContent = t.name || '';
    root.querySelector('[data-testid="table-describe"]').textContent = t.describe || '';
    setNum(root.querySelector('[data-testid="table-rows-count"]'), t.rows, fmt.int(t.rows));
    const cols = t.columns || [];
    pk = cols.find((c) => c.primary_key) || null;
    if (pk) keyLabel.textContent = `${pk.name} (${pk.type})`;
    fill(
      schemaBox,
      table(
        { 'data-testid': 'table-schema', class: 'grid-table compact' },
        ['column', 'type', 'key'],
        cols.map((c) =>
          h(
            'tr',
            { 'data-testid': 'schema-row', 'data-column': c.name, 'data-type': c.type, 'data-primary-key': String(!!c.primary_key) },
            h('td', {}, h('code', {}, c.name)),
            h('td', {}, c.type),
            h('td', {}, c.primary_key ? 'primary key' : ''),
          ),
        ),
      ),
    );
  }

  const rowsTable = (res, testid) =>
    table(
      { 'data-testid': testid, class: 'grid-table rows' },
      res.columns || [],
      (res.rows || []).map((r) => h('tr', {}, r.map((v) => h('td', {}, v === null ? h('span', { class: 'muted' }, 'null') : String(v))))),
    );

  async function loadLatest() {
    const res = await api.getJSON('/api/table/rows', { limit: LATEST });
    if (stopped) return;
    if (!res.rows || !res.rows.length) fill(latestBox, empty('The table has no rows yet.', 'table-latest-empty'));
    else fill(latestBox, rowsTable(res, 'table-latest'));
  }

  async function load() {
    try {
      const [info] = await Promise.all([api.getJSON('/api/table'), loadLatest()]);
      if (!stopped) renderInfo(info);
    } catch (e) {
      if (!stopped) fill(latestBox, errorLine(e));
    } finally {
      root.dataset.ready = '1';
    }
  }

  async function find() {
    const k = key.value.trim();
    if (!k) return;
    const name = pk ? pk.name : 'key';
    // A malformed UUID would only earn a 400: say so here.
    if (pk && pk.type === 'uuid' && !UUID_RE.test(k)) {
      fill(result, errorLine(`"${k}" is not a UUID (${name} is a uuid column)`, 'table-lookup-error'));
      result.dataset.found = 'false';
      return;
    }
    fill(result, h('span', { class: 'muted' }, 'looking up…'));
    try {
      const res = await api.getJSON('/api/table/rows', { key: k });
      if (stopped) return;
      const found = res.rows && res.rows.length > 0;
      result.dataset.found = String(found);
      fill(result, found ? rowsTable(res, 'table-lookup-row') : h('p', { class: 'empty', 'data-testid': 'table-lookup-none' }, `no row with ${name} ${k}`));
    } catch (e) {
      result.dataset.found = 'false';
      fill(result, errorLine(e, 'table-lookup-error'));
    }
  }

  refreshBtn.addEventListener('click', () => load());
  load();

  return {
    unmount() {
      stopped = true;
    },
  };
}
