// Pipeline page (#/pipeline): the four stages source -> topic -> query -> table as
// boxes, live rates and counts on the arrows between them, the consumer lag, the dead
// letters, and the scheduler runs' reconciliation (produced = consumed = written +
// dead-lettered). Data: GET /api/overview, then the SSE `overview` event each second.
//
// Test hooks (data-testid; numbers also carry their raw value in data-value):
//   box-source, box-topic, box-query, box-table       the four stages
//   arrow-produce, arrow-consume, arrow-write         the arrows (rate + count inside)
//   source-describe, topic-name, topic-partitions, topic-records, topic-bytes, topic-rate,
//   query-name, query-batches, query-input-rows, query-input-rate, query-process-rate,
//   rows-written, dead-lettered, skipped, table-name, table-rows,
//   lag-records, lag-seconds, dlq-records, updated-at
//   reconciliation (card, data-balanced="true|false|"), rec-appended, rec-read, rec-written,
//   rec-dead-lettered, rec-skipped (what the log and the query counted since the start)
//   runs-table (rows: run-row, data-run-id, data-reconciled="true|false|unknown"), runs-empty
import * as api from './api.js';
import { h, fill, setNum, table, empty, errorLine } from './dom.js';
import * as fmt from './format.js';

export function mount(root) {
  const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
  const num = (id, cls = '') => h('span', { class: `num ${cls}`, 'data-testid': id }, '–');
  const line = (label, id) => h('div', { class: 'kv' }, h('span', { class: 'k' }, label), num(id));

  const box = (id, title, ...rows) => h('div', { class: 'box', 'data-testid': id }, h('h3', {}, title), ...rows);
  const arrow = (id, rateId, countId, what) =>
    h(
      'div',
      { class: 'arrow', 'data-testid': id },
      num(rateId, 'rate'),
      h('div', { class: 'shaft' }),
      h('div', { class: 'count' }, num(countId), ` ${what}`),
    );

  root.append(
    h('h2', {}, 'Pipeline ', h('span', { class: 'sub', 'data-testid': 'pipeline-name' })),
    h(
      'section',
      { class: 'flow', 'data-testid': 'flow' },
      box('box-source', 'Source', h('p', { class: 'describe', 'data-testid': 'source-describe' }, '–')),
      arrow('arrow-produce', 'topic-rate', 'topic-records', 'records'),
      box(
        'box-topic',
        h('span', {}, 'Topic ', h('code', { 'data-testid': 'topic-name' })),
        line('partitions', 'topic-partitions'),
        line('bytes', 'topic-bytes'),
        h('p', { class: 'describe', 'data-testid': 'log-describe' }),
      ),
      arrow('arrow-consume', 'query-input-rate', 'query-input-rows', 'read'),
      box(
        'box-query',
        h('span', {}, 'Query ', h('code', { 'data-testid': 'query-name' })),
        h('div', { class: 'kv' }, h('span', { class: 'k' }, 'group'), h('code', { 'data-testid': 'query-group' })),
        line('batches', 'query-batches'),
        line('dead-lettered', 'dead-lettered'),
        line('skipped', 'skipped'),
        line('last batch p99', 'last-latency'),
      ),
      arrow('arrow-write', 'query-process-rate', 'rows-written', 'written'),
      box(
        'box-table',
        h('span', {}, 'Table ', h('code', { 'data-testid': 'table-name' })),
        line('rows', 'table-rows'),
        h('p', { class: 'describe', 'data-testid': 'table-describe' }),
      ),
    ),
    h(
      'section',
      { class: 'cards' },
      h('div', { class: 'card', 'data-testid': 'lag' }, h('h3', {}, 'Consumer lag'), line('records', 'lag-records'), line('time', 'lag-seconds')),
      h(
        'div',
        { class: 'card', 'data-testid': 'dlq' },
        h('h3', {}, 'Dead letters ', h('code', { 'data-testid': 'dlq-topic' })),
        line('records', 'dlq-records'),
        h('a', { href: '#/dead-letters' }, 'browse and redrive'),
      ),
      h(
        'div',
        { class: 'card', 'data-testid': 'reconciliation' },
        h('h3', {}, 'Log vs query: appended = read = written + dead-lettered + skipped'),
        line('appended to the topic', 'rec-appended'),
        line('read by the query', 'rec-read'),
        line('written', 'rec-written'),
        line('dead-lettered', 'rec-dead-lettered'),
        line('skipped', 'rec-skipped'),
        h('div', { class: 'verdict', 'data-testid': 'rec-verdict' }),
      ),
    ),
    h('h3', {}, 'Scheduler runs: produced = consumed = written + dead-lettered'),
    h('div', { 'data-testid': 'runs' }),
    h('p', { class: 'muted' }, 'updated ', h('span', { 'data-testid': 'updated-at' }, '–')),
  );

  function update(ov) {
    const t = ov.topic || {};
    const q = ov.query || {};
    const tb = ov.table || {};
    const lag = ov.lag || {};
    $('pipeline-name').textContent = ov.pipeline ? `${ov.pipeline} (${ov.mode || ''} ${ov.version || ''})` : '';
    $('source-describe').textContent = (ov.source && ov.source.describe) || '–';
    $('log-describe').textContent = (ov.log && ov.log.describe) || '';
    $('topic-name').textContent = t.name || '–';
    setNum($('topic-partitions'), t.partitions, fmt.int(t.partitions));
    setNum($('topic-records'), t.records, fmt.int(t.records));
    setNum($('topic-bytes'), t.bytes, fmt.bytes(t.bytes));
    setNum($('topic-rate'), t.rate, fmt.rate(t.rate));
    $('query-name').textContent = q.name || '–';
    $('query-group').textContent = q.group || '–';
    setNum($('query-batches'), q.batches, fmt.int(q.batches));
    setNum($('query-input-rows'), q.input_rows, fmt.int(q.input_rows));
    setNum($('query-input-rate'), q.input_rate, fmt.rate(q.input_rate));
    setNum($('query-process-rate'), q.process_rate, fmt.rate(q.process_rate));
    setNum($('rows-written'), q.rows_written, fmt.int(q.rows_written));
    setNum($('dead-lettered'), q.dead_lettered, fmt.int(q.dead_lettered));
    setNum($('skipped'), q.skipped, fmt.int(q.skipped));
    const lat = q.last_batch && q.last_batch.latency_ms ? q.last_batch.latency_ms.p99 : null;
    setNum($('last-latency'), lat, fmt.ms(lat));
    $('table-name').textContent = tb.name || '–';
    $('table-describe').textContent = tb.describe || '';
    setNum($('table-rows'), tb.rows, fmt.int(tb.rows));
    setNum($('lag-records'), lag.records, fmt.int(lag.records));
    setNum($('lag-seconds'), lag.seconds, fmt.seconds(lag.seconds));
    $('lag').classList.toggle('warn', (lag.records || 0) > 0);
    $('dlq-topic').textContent = (ov.dead_letters && ov.dead_letters.topic) || '';
    const dl = ov.dead_letters ? ov.dead_letters.records : null;
    setNum($('dlq-records'), dl, fmt.int(dl));
    $('dlq').classList.toggle('warn', (dl || 0) > 0);
    $('updated-at').textContent = fmt.time(ov.time_ms);
    renderReconciliation(ov.reconciliation);
    renderRuns(ov.runs || []);
  }

  // The pipeline-wide counts (absent from servers that do not send them).
  function renderReconciliation(rec) {
    const card = $('reconciliation');
    card.hidden = !rec;
    if (!rec) return;
    for (const k of ['appended', 'read', 'written', 'dead_lettered', 'skipped'])
      setNum($(`rec-${k.replace('_', '-')}`), rec[k], fmt.int(rec[k]));
    const known = typeof rec.balanced === 'boolean';
    card.dataset.balanced = known ? String(rec.balanced) : '';
    card.classList.toggle('bad', known && !rec.balanced);
    $('rec-verdict').textContent = !known ? '' : rec.balanced ? '✓ adds up' : `✗ does not add up${rec.lag ? ` (lag ${fmt.int(rec.lag)})` : ''}`;
  }

  function renderRuns(runs) {
    const holder = $('runs');
    if (!runs.length) {
      fill(holder, empty('No scheduler runs yet: trigger one on the DAGs page.', 'runs-empty'));
      return;
    }
    const rows = runs.map((r) => {
      // A run's reconciliation can be unknown (not every count is there yet).
      const verdict = typeof r.reconciled === 'boolean' ? String(r.reconciled) : 'unknown';
      return h(
        'tr',
        {
          'data-testid': 'run-row',
          'data-run-id': r.run_id,
          'data-reconciled': verdict,
          class: verdict === 'false' ? 'bad' : '',
        },
        h('td', {}, r.dag_id),
        h('td', {}, h('code', {}, r.run_id)),
        h('td', {}, h('span', { class: `state s-${r.state}` }, r.state)),
        h('td', { class: 'num' }, fmt.time(r.logical_ms)),
        h('td', { class: 'num' }, fmt.int(r.produced)),
        h('td', { class: 'num' }, fmt.int(r.consumed)),
        h('td', { class: 'num' }, fmt.int(r.written)),
        h('td', { class: 'num' }, fmt.int(r.dead_lettered)),
        h(
          'td',
          { title: (r.books && r.books.note) || '' },
          { true: '✓ reconciled', false: `✗ ${fmt.int(r.missing)} missing`, unknown: '– not counted yet' }[verdict],
          r.books && r.books.note ? h('div', { class: 'reason' }, r.books.note) : null,
        ),
      );
    });
    fill(
      holder,
      table(
        { 'data-testid': 'runs-table', class: 'grid-table' },
        ['DAG', 'run', 'state', 'logical date', 'produced', 'consumed', 'written', 'dead-lettered', 'reconciled'],
        rows,
      ),
    );
  }

  let stopped = false;
  api
    .getJSON('/api/overview')
    .then((ov) => !stopped && update(ov))
    .catch((e) => !stopped && root.prepend(errorLine(e)))
    .finally(() => (root.dataset.ready = '1'));
  const unsub = api.subscribe('overview', (ov) => !stopped && update(ov));

  return {
    unmount() {
      stopped = true;
      unsub();
    },
  };
}
