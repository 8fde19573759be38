// Streaming page (#/streaming): the query's micro-batches, Spark's Structured Streaming
// tab in our terms. Charts of input vs processed rows/s, rows per batch, batch duration
// stacked by read/parse/write/commit and end-to-end latency p50/p99; below, the batch
// table, newest first. Data: GET /api/query/progress, then each SSE `batch` event.
//
// Test hooks (data-testid):
//   chart-rates, chart-rows, chart-durations, chart-latency   chart containers (data-points = batches drawn)
//   batch-count            number of batches held (data-value)
//   batch-table            the table; rows: batch-row (data-batch-id)
//   batches-empty          shown while there is no batch yet
import * as api from './api.js';
import { h, fill, setNum, table, empty, errorLine } from './dom.js';
import * as fmt from './format.js';
import { timeChart, trim, COLORS } from './charts.js';

const KEEP = 500;        // batches held and drawn
const TABLE_ROWS = 100;  // newest batches listed
const PARTS = ['read', 'parse', 'write', 'commit'];

export function mount(root) {
  const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
  const chartBox = (id, title) => h('div', { class: 'panel' }, h('h3', {}, title), h('div', { 'data-testid': id }));

  root.append(
    h('h2', {}, 'Streaming query ', h('code', { 'data-testid': 'query-name' })),
    h('p', { class: 'muted' }, h('span', { 'data-testid': 'batch-count', class: 'num' }, '0'), ' batches shown (newest ', String(KEEP), ')'),
    h(
      'section',
      { class: 'charts' },
      chartBox('chart-rates', 'Input vs processed rows/s'),
      chartBox('chart-rows', 'Rows per batch'),
      chartBox('chart-durations', 'Batch duration (stacked: read, parse, write, commit)'),
      chartBox('chart-latency', 'End-to-end latency'),
    ),
    h('h3', {}, 'Batches, newest first'),
    h('div', { 'data-testid': 'batches' }),
  );

  const msValue = (u, v) => (v === null || v === undefined ? '–' : fmt.ms(v));
  const rateValue = (u, v) => (v === null || v === undefined ? '–' : fmt.rate(v));
  const charts = {
    rates: timeChart($('chart-rates'), {
      series: [
        { label: 'input rows/s', value: rateValue },
        { label: 'processed rows/s', value: rateValue, scale: 'p' },
      ],
      axes: [
        { scale: 'y', values: fmt.int, label: 'input/s' },
        { scale: 'p', values: fmt.int, label: 'processed/s' },
      ],
    }),
    rows: timeChart($('chart-rows'), {
      series: [
        { label: 'input rows' },
        { label: 'written', color: COLORS[2] },
        { label: 'dead-lettered', color: COLORS[1] },
      ],
      axes: [{ scale: 'y', values: fmt.int }],
    }),
    // Stacked: each series is the sum of its part and the ones below; drawn top part
    // first so the lower fills cover it; the legend shows the part alone.
    durations: timeChart($('chart-durations'), {
      series: [...PARTS].reverse().map((p, i) => ({
        label: `${p} ms`,
        color: COLORS[3 - i],
        fill: `${COLORS[3 - i]}55`,
        value: (u, v, si, idx) => (idx === null || idx === undefined ? '–' : fmt.ms(parts[p][idx])),
      })),
      axes: [{ scale: 'y', values: (v) => fmt.ms(v) }],
    }),
    latency: timeChart($('chart-latency'), {
      series: [
        { label: 'p50', value: msValue },
        { label: 'p99', value: msValue, color: COLORS[1] },
        { label: 'max', value: msValue, color: COLORS[4] },
      ],
      axes: [{ scale: 'y', values: (v) => fmt.ms(v) }],
    }),
  };

  const batches = [];  // oldest first
  const parts = { read: [], parse: [], write: [], commit: [] };  // raw, index-aligned with batches

  function redraw() {
    const xs = batches.map((b) => b.timestamp_ms / 1000);
    const d = (b) => b.duration_ms || {};
    const lat = (b, k) => (b.latency_ms ? b.latency_ms[k] : null);
    for (const p of PARTS) parts[p] = batches.map((b) => d(b)[p] || 0);
    // Cumulative sums for the stack, bottom (read) to top (commit).
    const cum = [];
    let acc = batches.map(() => 0);
    for (const p of PARTS) {
      acc = acc.map((a, i) => a + parts[p][i]);
      cum.push(acc);
    }
    charts.rates.setData([xs, batches.map((b) => b.input_rows_per_second), batches.map((b) => b.processed_rows_per_second)]);
    charts.rows.setData([xs, batches.map((b) => b.num_input_rows), batches.map((b) => b.written_rows), batches.map((b) => b.dead_lettered)]);
    charts.durations.setData([xs, ...cum.reverse()]);
    charts.latency.setData([xs, batches.map((b) => lat(b, 'p50')), batches.map((b) => lat(b, 'p99')), batches.map((b) => lat(b, 'max'))]);
    setNum($('batch-count'), batches.length, fmt.int(batches.length));
    renderTable();
  }

  function renderTable() {
    const holder = $('batches');
    if (!batches.length) {
      fill(holder, empty('No batches yet: the query has not read a record.', 'batches-empty'));
      return;
    }
    const rows = [];
    for (let i = batches.length - 1; i >= 0 && rows.length < TABLE_ROWS; i--) {
      const b = batches[i];
      const d = b.duration_ms || {};
      const l = b.latency_ms || {};
      rows.push(
        h(
          'tr',
          { 'data-testid': 'batch-row', 'data-batch-id': b.batch_id },
          h('td', { class: 'num' }, String(b.batch_id)),
          h('td', { class: 'num' }, fmt.time(b.timestamp_ms, true)),
          h('td', { class: 'num' }, fmt.int(b.num_input_rows)),
          h('td', { class: 'num' }, fmt.int(b.written_rows)),
          h('td', { class: 'num' }, fmt.int(b.dead_lettered)),
          h('td', { class: 'num' }, fmt.rate(b.input_rows_per_second)),
          h('td', { class: 'num' }, fmt.rate(b.processed_rows_per_second)),
          h('td', { class: 'num' }, fmt.ms(d.read)),
          h('td', { class: 'num' }, fmt.ms(d.parse)),
          h('td', { class: 'num' }, fmt.ms(d.write)),
          h('td', { class: 'num' }, fmt.ms(d.commit)),
          h('td', { class: 'num' }, fmt.ms(d.total)),
          h('td', { class: 'num' }, fmt.ms(l.p50)),
          h('td', { class: 'num' }, fmt.ms(l.p99)),
          h('td', { class: 'num' }, b.write_retries ? fmt.int(b.write_retries) : ''),
        ),
      );
    }
    fill(
      holder,
      table(
        { 'data-testid': 'batch-table', class: 'grid-table' },
        ['batch', 'time', 'rows', 'written', 'dead-lettered', 'input/s', 'processed/s', 'read', 'parse', 'write', 'commit', 'total', 'latency p50', 'p99', 'retries'],
        rows,
      ),
    );
  }

  // Appends a batch unless it is one we hold already (the SSE may repeat the newest).
  function add(b) {
    if (!b || typeof b.batch_id !== 'number') return false;
    const last = batches[batches.length - 1];
    if (last && b.batch_id <= last.batch_id) return false;
    batches.push(b);
    trim(batches, KEEP);
    return true;
  }

  let stopped = false;
  let pending = [];  // batch events that arrive before the first load ends
  let loaded = false;
  const unsub = api.subscribe('batch', (b) => {
    if (stopped) return;
    if (!loaded) pending.push(b);
    else if (add(b)) redraw();
  });

  api
    .getJSON('/api/query/progress', { limit: KEEP })
    .then((res) => {
      if (stopped) return;
      $('query-name').textContent = res.name || '';
      for (const b of res.batches || []) add(b);
      for (const b of pending) add(b);
    })
    .catch((e) => !stopped && root.prepend(errorLine(e)))
    .finally(() => {
      if (stopped) return;
      loaded = true;
      pending = [];
      redraw();
      root.dataset.ready = '1';
    });

  return {
    unmount() {
      stopped = true;
      unsub();
      for (const c of Object.values(charts)) c.destroy();
    },
  };
}
