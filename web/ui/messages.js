// The message browser of the Topics page, kcat's role: the newest N records over all
// partitions, N records from an offset of one partition, or the first records at or
// after a time; optionally only those whose key or value contains a substring; each
// record's headers; and the same selection as a JSON-lines download.
// Data: GET /api/topics/{name}/messages.
//
// Test hooks (ids, each also its data-testid):
//   msg-topic (select), msg-mode (select: newest | offset | timestamp), msg-partition,
//   msg-offset, msg-timestamp (datetime-local), msg-limit, msg-q (substring), msg-load (button),
//   msg-download (link, href has format=jsonl), msg-status (scanned / truncated / count),
//   msg-results (data-q: the substring its rows were searched with); rows: msg-row (data-partition, data-offset), msg-empty (nothing found)
import * as api from './api.js';
import { h, fill, table, empty, errorLine } from './dom.js';
import * as fmt from './format.js';

const SHOWN_CHARS = 1000;  // of a value, before "show all"

export function messageBrowser() {
  const input = (id, attrs = {}) => h('input', { id, 'data-testid': id, ...attrs });
  const topic = h('select', { id: 'msg-topic', 'data-testid': 'msg-topic' });
  const mode = h(
    'select',
    { id: 'msg-mode', 'data-testid': 'msg-mode' },
    h('option', { value: 'newest' }, 'newest N'),
    h('option', { value: 'offset' }, 'partition + offset'),
    h('option', { value: 'timestamp' }, 'from a time'),
  );
  const partition = input('msg-partition', { type: 'number', min: 0, value: '0', class: 'short' });
  const offset = input('msg-offset', { type: 'number', min: 0, value: '0' });
  const when = input('msg-timestamp', { type: 'datetime-local', step: 1 });
  const limit = input('msg-limit', { type: 'number', min: 1, max: 1000, value: '20', class: 'short' });
  const q = input('msg-q', { type: 'search', placeholder: 'key or value contains…' });
  const load = h('button', { id: 'msg-load', 'data-testid': 'msg-load', type: 'submit' }, 'Show');
  const download = h('a', { id: 'msg-download', 'data-testid': 'msg-download', download: 'messages.jsonl', href: '#' }, 'download as JSON lines');
  const status = h('span', { id: 'msg-status', 'data-testid': 'msg-status', class: 'muted' });
  const results = h('div', { id: 'msg-results', 'data-testid': 'msg-results' });

  const limitLabel = h('span', {}, 'newest N');
  const label = (text, el, cls) => h('label', { class: cls }, text, ' ', el);
  const form = h(
    'form',
    { class: 'toolbar', 'data-testid': 'msg-form' },
    label('topic', topic),
    label('mode', mode),
    label('partition', partition, 'm-offset'),
    label('offset', offset, 'm-offset'),
    label('from', when, 'm-timestamp'),
    h('label', {}, limitLabel, ' ', limit),
    label('search', q),
    load,
    download,
  );
  const el = h('div', { class: 'card wide', 'data-testid': 'message-browser' }, form, status, results);

  let partitions = 0;  // of the selected topic
  let topicsSeen = [];
  let seq = 0;  // drops answers to older requests
  let shownOnce = false;

  function showMode() {
    const m = mode.value;
    for (const x of form.querySelectorAll('.m-offset')) x.hidden = m !== 'offset';
    for (const x of form.querySelectorAll('.m-timestamp')) x.hidden = m !== 'timestamp';
    limitLabel.textContent = m === 'newest' ? 'newest N' : 'limit';
  }

  // The query of the current form, or an error message when an input is wrong.
  function query() {
    const n = Number(limit.value || 20);
    if (!Number.isInteger(n) || n < 1 || n > 1000) return { error: 'limit: a whole number from 1 to 1000' };
    const out = {};
    if (mode.value === 'newest') out.newest = n;
    else out.limit = n;
    if (mode.value === 'offset') {
      const p = Number(partition.value);
      const o = Number(offset.value);
      if (!Number.isInteger(p) || p < 0 || (partitions && p >= partitions))
        return { error: `partition: 0 to ${Math.max(0, partitions - 1)}` };
      if (!Number.isInteger(o) || o < 0) return { error: 'offset: a whole number, 0 or more' };
      out.partition = p;
      out.offset = o;
    } else if (mode.value === 'timestamp') {
      const t = when.value ? new Date(when.value).getTime() : NaN;
      if (!Number.isFinite(t)) return { error: 'from: pick a date and time' };
      out.timestamp_ms = t;
    }
    if (q.value) out.q = q.value;
    return { query: out };
  }

  const path = () => `/api/topics/${api.seg(topic.value)}/messages`;

  function updateLink() {
    const { query: qs } = query();
    if (!qs || !topic.value) {
      download.removeAttribute('href');
      return;
    }
    download.href = api.withQuery(path(), { ...qs, format: 'jsonl' });
    download.download = `${topic.value}.jsonl`;
  }

  async function run(ev) {
    if (ev) ev.preventDefault();
    if (!topic.value) return;
    const { query: qs, error } = query();
    if (error) {
      fill(results, errorLine(error, 'msg-error'));
      return;
    }
    const mine = ++seq;
    status.textContent = 'loading…';
    try {
      const res = await api.getJSON(path(), qs);
      if (mine !== seq) return;
      results.dataset.q = qs.q || '';
      render(res);
    } catch (e) {
      if (mine !== seq) return;
      status.textContent = '';
      fill(results, errorLine(e, 'msg-error'));
    }
  }

  function render(res) {
    const msgs = res.messages || [];
    status.textContent = `${fmt.int(msgs.length)} shown, ${fmt.int(res.scanned)} scanned${res.truncated ? ' (scan limit reached: narrow the search)' : ''}`;
    if (!msgs.length) {
      fill(results, empty('No record matches.', 'msg-empty'));
      return;
    }
    const rows = msgs.map((m) =>
      h(
        'tr',
        { 'data-testid': 'msg-row', 'data-partition': m.partition, 'data-offset': m.offset },
        h('td', { class: 'num' }, String(m.partition)),
        h('td', { class: 'num' }, fmt.int(m.offset)),
        h('td', { class: 'num' }, fmt.time(m.timestamp_ms, true)),
        h('td', {}, m.key === null || m.key === undefined ? h('span', { class: 'muted' }, 'null') : h('code', {}, m.key)),
        h('td', { class: 'value' }, valueCell(m.value)),
        h('td', {}, headerList(m.headers)),
      ),
    );
    fill(results, table({ class: 'grid-table messages' }, ['partition', 'offset', 'time', 'key', 'value', 'headers'], rows));
  }

  topic.addEventListener('change', () => {
    const t = topicsSeen.find((x) => x.name === topic.value);
    partitions = t ? (t.partitions || []).length : 0;
    updateLink();
  });
  mode.addEventListener('change', () => {
    showMode();
    updateLink();
  });
  form.addEventListener('input', updateLink);
  form.addEventListener('submit', run);
  showMode();

  return {
    el,
    // The topics of the page's last refresh; selects `preferred` the first time.
    setTopics(list, preferred) {
      topicsSeen = list;
      const names = list.map((t) => t.name);
      const have = [...topic.options].map((o) => o.value);
      if (names.join('\n') !== have.join('\n')) {
        const keep = topic.value;
        fill(topic, names.map((n) => h('option', { value: n }, n)));
        if (names.includes(keep)) topic.value = keep;
        else if (preferred && names.includes(preferred)) topic.value = preferred;
        else {
          const plain = names.find((n) => !n.endsWith('.dlq'));
          if (plain) topic.value = plain;
        }
      }
      const t = list.find((x) => x.name === topic.value);
      partitions = t ? (t.partitions || []).length : 0;
      load.disabled = !names.length;
      updateLink();
      // The first time there is a topic: show its newest records at once.
      if (!shownOnce && topic.value) {
        shownOnce = true;
        run();
      }
    },
    destroy() {
      seq++;
    },
  };
}

// A value, cut after SHOWN_CHARS with a toggle for the rest.
function valueCell(v) {
  const text = v === null || v === undefined ? '' : String(v);
  if (text.length <= SHOWN_CHARS) return h('pre', {}, text);
  const pre = h('pre', {}, text.slice(0, SHOWN_CHARS) + '…');
  const more = h('button', { type: 'button', class: 'link' }, `show all ${fmt.int(text.length)} characters`);
  more.addEventListener('click', () => {
    pre.textContent = text;
    more.remove();
  });
  return [pre, more];
}

export function headerList(headers) {
  if (!headers || !headers.length) return h('span', { class: 'muted' }, 'none');
  return h(
    'ul',
    { class: 'headers' },
    headers.map((x) => h('li', {}, h('code', {}, x.key), ' = ', h('code', {}, x.value === null ? 'null' : x.value))),
  );
}
