// Dead letters page (#/dead-letters): the records the pipeline turned away, each with
// its reason kind, the stage, where it came from (topic/partition/offset), its original
// bytes and whether it was redriven; a filter by kind (with counts); and redrive of one
// letter, of the selected ones, or of every letter of one kind back to the source topic.
// Data: GET /api/dead-letters, POST /api/dead-letters/redrive; reloaded when the
// overview's dead-letter count changes.
//
// Test hooks (data-testid):
//   dl-topic, dl-count (data-value), dl-kind (select; value '' = every kind; option
//   text "kind (count)"), dl-redrive-selected, dl-redrive-kind (buttons), dl-result
//   (the last redrive's outcome, data-redriven, data-already), dl-empty, dl-table;
//   rows: dl-row (data-partition, data-offset, data-kind, data-redriven), in each row
//   dl-select (checkbox), dl-redrive-one (button), dl-value (the original bytes)
import * as api from './api.js';
import { h, fill, setNum, table, empty, errorLine } from './dom.js';
import * as fmt from './format.js';
import { headerList } from './messages.js';

const LIMIT = 200;
const SHOWN_CHARS = 300;

export function mount(root) {
  const kind = h('select', { id: 'dl-kind', 'data-testid': 'dl-kind' }, h('option', { value: '' }, 'every kind'));
  const redriveSelected = h('button', { type: 'button', 'data-testid': 'dl-redrive-selected', disabled: true }, 'Redrive selected');
  const redriveKind = h('button', { type: 'button', 'data-testid': 'dl-redrive-kind', disabled: true }, 'Redrive every letter of this kind');
  const result = h('p', { 'data-testid': 'dl-result', class: 'result', role: 'status' });
  const list = h('div', { 'data-testid': 'dl-list' });
  root.append(
    h('h2', {}, 'Dead letters ', h('code', { 'data-testid': 'dl-topic' }), ' ', h('span', { class: 'sub' }, h('span', { 'data-testid': 'dl-count', class: 'num' }, '–'), ' records')),
    h('div', { class: 'toolbar' }, h('label', {}, 'kind ', kind), redriveSelected, redriveKind),
    result,
    list,
  );

  const selected = new Set();  // "partition:offset" of the ticked letters
  let stopped = false;
  let lastCount = null;
  let loading = false;

  const keyOf = (l) => `${l.partition}:${l.offset}`;

  async function load() {
    if (loading || stopped) return;
    loading = true;
    try {
      const res = await api.getJSON('/api/dead-letters', { limit: LIMIT, kind: kind.value });
      if (stopped) return;
      render(res);
    } catch (e) {
      if (!stopped) fill(list, errorLine(e));
    } finally {
      loading = false;
      root.dataset.ready = '1';
    }
  }

  function render(res) {
    root.querySelector('[data-testid="dl-topic"]').textContent = res.topic || '';
    setNum(root.querySelector('[data-testid="dl-count"]'), res.records, fmt.int(res.records));
    lastCount = res.records;
    // The kind filter: every kind seen, with its count; the chosen one stays.
    const byKind = res.by_kind || {};
    const chosen = kind.value;
    const kinds = Object.keys(byKind).sort();
    if (chosen && !kinds.includes(chosen)) kinds.push(chosen);
    fill(
      kind,
      h('option', { value: '' }, `every kind (${fmt.int(res.records)})`),
      kinds.map((k) => h('option', { value: k }, `${k} (${fmt.int(byKind[k] || 0)})`)),
    );
    kind.value = chosen;
    redriveKind.disabled = !chosen;
    redriveKind.textContent = chosen ? `Redrive every ${chosen} letter` : 'Redrive every letter of a kind (choose one)';

    const letters = res.letters || [];
    const present = new Set(letters.map(keyOf));
    for (const k of [...selected]) if (!present.has(k)) selected.delete(k);
    updateSelected();
    if (!letters.length) {
      fill(list, empty(chosen ? `No dead letter of kind ${chosen}.` : 'No dead letters: every record went through.', 'dl-empty'));
      return;
    }
    const rows = letters.map((l) => {
      const k = keyOf(l);
      const box = h('input', { type: 'checkbox', 'data-testid': 'dl-select', checked: selected.has(k), 'aria-label': `select ${k}` });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(k);
        else selected.delete(k);
        updateSelected();
      });
      const o = l.origin;
      return h(
        'tr',
        { 'data-testid': 'dl-row', 'data-partition': l.partition, 'data-offset': l.offset, 'data-kind': l.kind, 'data-redriven': String(!!l.redriven), class: l.redriven ? 'done' : '' },
        h('td', {}, box),
        h('td', { class: 'num' }, `${l.partition}/${l.offset}`),
        h('td', { class: 'num' }, fmt.time(l.timestamp_ms)),
        h('td', {}, h('span', { class: 'tag' }, l.kind), h('div', { class: 'reason' }, l.reason || '')),
        h('td', {}, l.stage || ''),
        h('td', {}, o ? h('code', {}, `${o.topic}/${o.partition}/${o.offset}`) : h('span', { class: 'muted' }, 'none')),
        h('td', {}, l.key === null || l.key === undefined ? h('span', { class: 'muted' }, 'null') : h('code', {}, l.key)),
        h('td', { class: 'value', 'data-testid': 'dl-value' }, cut(l.value)),
        h('td', {}, headerList(l.headers)),
        h('td', {}, l.redriven ? '✓ redriven' : ''),
        h('td', {}, h('button', { type: 'button', 'data-testid': 'dl-redrive-one', onclick: () => redrive({ letters: [{ partition: l.partition, offset: l.offset }] }) }, 'Redrive')),
      );
    });
    fill(
      list,
      table({ 'data-testid': 'dl-table', class: 'grid-table' }, ['', 'letter', 'time', 'kind / reason', 'stage', 'origin', 'key', 'original bytes', 'headers', 'redriven', ''], rows),
    );
  }

  function updateSelected() {
    redriveSelected.disabled = selected.size === 0;
    redriveSelected.textContent = selected.size ? `Redrive ${selected.size} selected` : 'Redrive selected';
  }

  async function redrive(body) {
    fill(result, 'redriving…');
    result.className = 'result';
    try {
      const r = await api.postJSON('/api/dead-letters/redrive', body);
      result.dataset.redriven = r.redriven;
      result.dataset.already = r.already;
      fill(result, `Redriven ${fmt.int(r.redriven)} to ${r.target || 'the source topic'}` + (r.already ? `; ${fmt.int(r.already)} had been redriven before` : '') + '.');
      result.className = 'result ok';
      selected.clear();
    } catch (e) {
      fill(result, `Redrive failed: ${e.message}`);
      result.className = 'result error';
    }
    await load();
  }

  kind.addEventListener('change', () => {
    selected.clear();
    load();
  });
  redriveSelected.addEventListener('click', () =>
    redrive({ letters: [...selected].map((k) => ({ partition: Number(k.split(':')[0]), offset: Number(k.split(':')[1]) })) }),
  );
  redriveKind.addEventListener('click', () => kind.value && redrive({ kind: kind.value }));

  // New dead letters show up without a reload: the overview carries their count.
  const unsub = api.subscribe('overview', (ov) => {
    const n = ov.dead_letters ? ov.dead_letters.records : null;
    if (!stopped && lastCount !== null && n !== null && n !== lastCount) load();
  });
  load();

  return {
    unmount() {
      stopped = true;
      unsub();
    },
  };
}

function cut(v) {
  const text = v === null || v === undefined ? '' : String(v);
  return h('pre', { title: text.length > SHOWN_CHARS ? `${fmt.int(text.length)} bytes` : null }, text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}… (${fmt.int(text.length)} bytes)` : text);
}
