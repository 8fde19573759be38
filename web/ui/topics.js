// Topics page (#/topics): each topic's partitions (offsets, records, bytes) and rate;
// each consumer group's lag per partition (records and seconds) with a lag-history
// chart; and the message browser (messages.js). Refreshed every few seconds.
// Data: GET /api/topics, /api/groups, /api/groups/{g}/lag-history?since_ms=.
//
// Test hooks (data-testid):
//   topics-empty                  no topic yet
//   topic-<name>                  a topic's card; rows: partition-row (data-partition)
//   topic-records-<name>, topic-rate-<name>   (data-value)
//   groups-empty                  no consumer group yet
//   group-<group>                 a group's card; rows: group-partition-row (data-partition, data-lag)
//   group-lag-<group>             total lag in records (data-value)
//   lag-chart-<group>             the lag-history chart (data-points = samples drawn)
//   message browser: see messages.js
import * as api from './api.js';
import { h, fill, table, empty, errorLine } from './dom.js';
import * as fmt from './format.js';
import { timeChart, trim } from './charts.js';
import { messageBrowser } from './messages.js';

const REFRESH_MS = 3000;
const HISTORY_SPAN_MS = 15 * 60 * 1000;  // the chart shows the last 15 minutes
const MAX_SAMPLES = 3600;

export function mount(root) {
  const topicsBox = h('div', { 'data-testid': 'topics' });
  const groupsBox = h('div', { 'data-testid': 'groups' });
  const errBox = h('div');
  const browser = messageBrowser();
  root.append(
    h('h2', {}, 'Topics'),
    errBox,
    topicsBox,
    h('h2', {}, 'Consumer groups'),
    groupsBox,
    h('h2', {}, 'Messages'),
    browser.el,
  );

  const groups = new Map();  // group -> {el, chart, samples, lastMs}
  let stopped = false;
  let busy = false;

  function renderTopics(list) {
    if (!list.length) {
      fill(topicsBox, empty('No topics yet.', 'topics-empty'));
      return;
    }
    fill(
      topicsBox,
      list.map((t) =>
        h(
          'div',
          { class: 'card wide', 'data-testid': `topic-${t.name}` },
          h(
            'h3',
            {},
            h('code', {}, t.name),
            ' ',
            h('span', { class: 'num', 'data-testid': `topic-records-${t.name}`, 'data-value': t.records }, fmt.int(t.records)),
            ' records, ',
            fmt.bytes(t.bytes),
            ', ',
            h('span', { class: 'num', 'data-testid': `topic-rate-${t.name}`, 'data-value': t.rate }, fmt.rate(t.rate)),
          ),
          table(
            { class: 'grid-table compact' },
            ['partition', 'start offset', 'end offset', 'records', 'bytes'],
            (t.partitions || []).map((p) =>
              h(
                'tr',
                { 'data-testid': 'partition-row', 'data-partition': p.partition },
                h('td', { class: 'num' }, String(p.partition)),
                h('td', { class: 'num' }, fmt.int(p.start_offset)),
                h('td', { class: 'num' }, fmt.int(p.end_offset)),
                h('td', { class: 'num' }, fmt.int(p.records)),
                h('td', { class: 'num' }, fmt.bytes(p.bytes)),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // One card per group, kept across refreshes (its chart keeps its samples).
  function groupCard(g) {
    let entry = groups.get(g.group);
    if (!entry) {
      const el = h(
        'div',
        { class: 'card wide', 'data-testid': `group-${g.group}` },
        h('h3', {}),
        h('div', { class: 'parts' }),
        h('div', { 'data-testid': `lag-chart-${g.group}` }),
      );
      groupsBox.append(el);
      const chart = timeChart(el.lastChild, {
        series: [
          { label: 'lag records' },
          { label: 'lag seconds', scale: 's', value: (u, v) => (v === null || v === undefined ? '–' : fmt.seconds(v)) },
        ],
        axes: [
          { scale: 'y', values: fmt.int, label: 'records' },
          { scale: 's', values: (v) => fmt.seconds(v), label: 'time' },
        ],
      });
      entry = { el, chart, samples: [], lastMs: 0, topic: g.topic };
      groups.set(g.group, entry);
    }
    const lag = g.lag || {};
    fill(
      entry.el.firstChild,
      'Group ',
      h('code', {}, g.group),
      ' on ',
      h('code', {}, g.topic),
      ': lag ',
      h('span', { class: 'num', 'data-testid': `group-lag-${g.group}`, 'data-value': lag.records }, fmt.int(lag.records)),
      ' records, ',
      fmt.seconds(lag.seconds),
    );
    fill(
      entry.el.children[1],
      table(
        { class: 'grid-table compact' },
        ['partition', 'committed', 'end offset', 'lag (records)', 'lag (time)'],
        (g.partitions || []).map((p) =>
          h(
            'tr',
            { 'data-testid': 'group-partition-row', 'data-partition': p.partition, 'data-lag': p.lag, class: p.lag > 0 ? 'warn' : '' },
            h('td', { class: 'num' }, String(p.partition)),
            h('td', { class: 'num' }, fmt.int(p.committed)),
            h('td', { class: 'num' }, fmt.int(p.end_offset)),
            h('td', { class: 'num' }, fmt.int(p.lag)),
            h('td', { class: 'num' }, fmt.seconds(p.lag_seconds)),
          ),
        ),
      ),
    );
    return entry;
  }

  async function loadHistory(name, entry) {
    const since = entry.lastMs ? entry.lastMs + 1 : Date.now() - HISTORY_SPAN_MS;
    const res = await api.getJSON(`/api/groups/${api.seg(name)}/lag-history`, { topic: entry.topic, since_ms: since });
    for (const s of res.samples || []) {
      if (s.time_ms <= entry.lastMs) continue;
      entry.samples.push(s);
      entry.lastMs = s.time_ms;
    }
    trim(entry.samples, MAX_SAMPLES);
    const xs = entry.samples.map((s) => s.time_ms / 1000);
    entry.chart.setData([xs, entry.samples.map((s) => s.records), entry.samples.map((s) => s.seconds)]);
  }

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    try {
      const [topics, gs] = await Promise.all([api.getJSON('/api/topics'), api.getJSON('/api/groups')]);
      if (stopped) return;
      renderTopics(topics || []);
      browser.setTopics(topics || [], (gs && gs[0] && gs[0].topic) || null);
      if (!gs || !gs.length) {
        if (!groups.size) fill(groupsBox, empty('No consumer group has committed an offset yet.', 'groups-empty'));
      } else {
        const placeholder = groupsBox.querySelector('[data-testid="groups-empty"]');
        if (placeholder) placeholder.remove();
        await Promise.all(gs.map((g) => loadHistory(g.group, groupCard(g))));
      }
      fill(errBox);
    } catch (e) {
      if (!stopped) fill(errBox, errorLine(e));
    } finally {
      busy = false;
      root.dataset.ready = '1';
    }
  }

  refresh();
  const timer = setInterval(refresh, REFRESH_MS);

  return {
    unmount() {
      stopped = true;
      clearInterval(timer);
      for (const g of groups.values()) g.chart.destroy();
      browser.destroy();
    },
  };
}
