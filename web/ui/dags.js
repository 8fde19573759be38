// DAGs page (#/dags): per DAG its schedule and zone, a pause toggle, a Trigger button
// with an optional conf (key=value lines), the next fire times (local and UTC), and an
// Airflow-style grid: one column per run, oldest left, one row per task, cells coloured
// by state, each run's scheduling delay under it. A cell opens its task log, followed
// (polled each second from its last offset) while the try runs.
// Data: GET /api/dags, /api/dags/{dag}/runs, .../log; POST trigger, pause, unpause;
// reloaded on the SSE `runs` event and every few seconds.
//
// Test hooks (data-testid):
//   dags-empty, state-legend, dag-<dag> (card, data-paused), pause-<dag> (button,
//   data-paused), conf-<dag> (textarea), trigger-<dag> (button), trigger-result-<dag>
//   (data-run-id of the run it made), next-<dag> (rows: next-row), grid-<dag> (table;
//   data-runs = number of runs), runs-empty-<dag>;
//   in a grid: run-head (data-run-id, data-state), grid-cell (button; data-run-id,
//   data-task-id, data-state, data-try), run-delay (data-run-id, data-value ms)
//   log panel: task-log-title, task-log (pre; data-running, data-offset), task-log-close
import * as api from './api.js';
import { h, fill, table, empty, errorLine } from './dom.js';
import * as fmt from './format.js';

const RUNS = 25;
const REFRESH_MS = 5000;
const LOG_POLL_MS = 1000;
const LOG_KEEP_CHARS = 1 << 20;
const STATES = ['queued', 'running', 'success', 'failed', 'up_for_retry', 'upstream_failed', 'skipped', 'none'];

const RUN_ICON = { manual: '▶', backfill: '⟲', scheduled: '⏱' };
// Field names as api.md has them, or as the server also sends them.
const zoneOf = (d) => d.zone || d.timezone || 'UTC';
const typeOf = (r) => r.type || r.run_type || 'scheduled';
const delayOf = (r) => (r.delay_ms !== undefined ? r.delay_ms : r.scheduling_delay_ms);

// "a=1\nb = two" -> {a: "1", b: "two"}; blank lines and #-comments are skipped.
export function parseConf(text) {
  const conf = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`conf line ${i + 1}: expected key=value, got "${line}"`);
    conf[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return conf;
}

export function mount(root) {
  const listBox = h('div', { 'data-testid': 'dags' });
  const errBox = h('div');
  const logTitle = h('h3', { 'data-testid': 'task-log-title' });
  const logText = h('pre', { class: 'log', 'data-testid': 'task-log', 'data-running': 'false' });
  const logClose = h('button', { type: 'button', class: 'link', 'data-testid': 'task-log-close' }, 'close');
  const logPanel = h('section', { class: 'card wide logpanel', hidden: true, 'data-testid': 'task-log-panel' }, h('div', { class: 'row' }, logTitle, logClose), logText);
  root.append(
    h('h2', {}, 'DAGs'),
    h(
      'p',
      { class: 'legend', 'data-testid': 'state-legend' },
      STATES.map((s) => h('span', { class: 'legend-item' }, h('span', { class: `cellbox s-${s}` }), s)),
    ),
    errBox,
    listBox,
    logPanel,
  );

  const cards = new Map();  // dag_id -> {el, parts...}
  let stopped = false;
  let busy = false;
  let log = null;  // the followed log: {dag, run, task, try, offset, timer}

  function card(d) {
    let c = cards.get(d.dag_id);
    if (c) return c;
    const id = d.dag_id;
    const conf = h('textarea', { rows: 2, placeholder: 'conf: key=value per line (optional)', 'data-testid': `conf-${id}`, 'aria-label': `conf of ${id}` });
    const trigger = h('button', { type: 'button', 'data-testid': `trigger-${id}` }, 'Trigger');
    const pause = h('button', { type: 'button', 'data-testid': `pause-${id}` });
    const triggered = h('span', { class: 'result', 'data-testid': `trigger-result-${id}` });
    c = {
      el: h('section', { class: 'card wide dag', 'data-testid': `dag-${id}` }),
      head: h('div', { class: 'row' }),
      info: h('div', { class: 'kvs' }),
      next: h('div', { 'data-testid': `next-${id}` }),
      grid: h('div', { class: 'gridwrap' }),
      pause,
      paused: false,
    };
    c.el.append(c.head, c.info, h('div', { class: 'row' }, conf, trigger, triggered), c.next, c.grid);
    trigger.addEventListener('click', async () => {
      let body;
      try {
        const kv = parseConf(conf.value);
        body = Object.keys(kv).length ? { conf: kv } : {};
      } catch (e) {
        fill(triggered, e.message);
        triggered.className = 'result error';
        return;
      }
      trigger.disabled = true;
      try {
        const r = await api.postJSON(`/api/dags/${api.seg(id)}/trigger`, body);
        triggered.dataset.runId = r.run_id;
        fill(triggered, 'triggered ', h('code', {}, r.run_id));
        triggered.className = 'result ok';
        await loadRuns(id);
      } catch (e) {
        fill(triggered, `trigger failed: ${e.message}`);
        triggered.className = 'result error';
      } finally {
        trigger.disabled = false;
      }
    });
    pause.addEventListener('click', async () => {
      pause.disabled = true;
      try {
        const r = await api.postJSON(`/api/dags/${api.seg(id)}/${c.paused ? 'unpause' : 'pause'}`);
        setPaused(c, r.paused);
      } catch (e) {
        fill(triggered, `${c.paused ? 'unpause' : 'pause'} failed: ${e.message}`);
        triggered.className = 'result error';
      } finally {
        pause.disabled = false;
      }
    });
    listBox.append(c.el);
    cards.set(id, c);
    return c;
  }

  function setPaused(c, paused) {
    c.paused = !!paused;
    c.pause.textContent = c.paused ? 'Unpause' : 'Pause';
    c.pause.dataset.paused = String(c.paused);
    c.el.dataset.paused = String(c.paused);
    c.el.classList.toggle('paused', c.paused);
  }

  function renderDag(d) {
    const c = card(d);
    setPaused(c, d.paused);
    fill(
      c.head,
      h('h3', {}, h('code', {}, d.dag_id), c.paused ? h('span', { class: 'tag' }, 'paused') : null),
      c.pause,
      d.description ? h('span', { class: 'muted' }, d.description) : null,
    );
    const kv = (k, v) => h('span', { class: 'kv' }, h('span', { class: 'k' }, k), ' ', v);
    fill(
      c.info,
      kv('schedule', h('code', {}, d.schedule || 'none')),
      kv('zone', zoneOf(d)),
      kv('catchup', String(!!d.catchup)),
      kv('max active runs', fmt.int(d.max_active_runs)),
      kv('tasks', (d.tasks || []).join(', ') || '–'),
    );
    const next = d.next || [];
    fill(
      c.next,
      next.length
        ? table({ class: 'grid-table compact' }, [`next fire time (${zoneOf(d)})`, 'UTC'], next.map((n) => h('tr', { 'data-testid': 'next-row' }, h('td', { class: 'num' }, n.local), h('td', { class: 'num' }, n.utc))))
        : h('p', { class: 'muted' }, d.paused ? 'paused: no fire times' : 'no scheduled fire times (manual runs only)'),
    );
  }

  // The grid: columns = runs oldest -> newest, rows = tasks.
  function renderRuns(id, res) {
    const c = cards.get(id);
    if (!c) return;
    const runs = [...(res.runs || [])].reverse();
    const tasks = res.tasks || [];
    if (!runs.length) {
      fill(c.grid, empty('No runs yet: press Trigger.', `runs-empty-${id}`));
      return;
    }
    const headRow = h(
      'tr',
      {},
      h('th', {}, 'task \\ run'),
      runs.map((r) =>
        h(
          'th',
          { 'data-testid': 'run-head', 'data-run-id': r.run_id, 'data-state': r.state, title: `${r.run_id}\n${typeOf(r)} run, ${r.state}${r.note ? `\n${r.note}` : ''}${r.conf && Object.keys(r.conf).length ? `\nconf ${JSON.stringify(r.conf)}` : ''}` },
          h('span', { class: `cellbox s-${r.state}` }),
          h('span', { class: 'runlabel' }, `${RUN_ICON[typeOf(r)] || '⏱'} ${fmt.clock(r.logical_ms)}`),
        ),
      ),
    );
    const taskRows = tasks.map((t) =>
      h(
        'tr',
        {},
        h('th', { class: 'task' }, t),
        runs.map((r) => {
          const ti = (r.tasks || []).find((x) => x.task_id === t);
          const state = ti ? ti.state : 'none';
          const hasLog = ti && ti.try_number >= 1 && ti.start_ms;
          const tip = ti
            ? `${t}: ${state}, try ${ti.try_number}/${ti.max_tries}\nstart ${fmt.time(ti.start_ms)}  end ${fmt.time(ti.end_ms)}` +
              (ti.records_produced >= 0 ? `\nproduced ${fmt.int(ti.records_produced)}` : '') +
              (ti.records_written >= 0 ? `\nwritten ${fmt.int(ti.records_written)}` : '') +
              (ti.error ? `\n${ti.error}` : '')
            : `${t}: not started`;
          return h(
            'td',
            {},
            h('button', {
              type: 'button',
              class: `cell s-${state}`,
              'data-testid': 'grid-cell',
              'data-run-id': r.run_id,
              'data-task-id': t,
              'data-state': state,
              'data-try': ti ? ti.try_number : 0,
              title: tip,
              'aria-label': `${t} in ${r.run_id}: ${state}`,
              disabled: !hasLog,
              onclick: () => openLog(id, r.run_id, t, ti.try_number),
            }),
          );
        }),
      ),
    );
    const delayRow = h(
      'tr',
      { class: 'delay' },
      h('th', { title: 'start of the first task minus the time the run was due' }, 'delay'),
      runs.map((r) => h('td', { class: 'num', 'data-testid': 'run-delay', 'data-run-id': r.run_id, 'data-value': delayOf(r) ?? '' }, fmt.ms(delayOf(r)))),
    );
    const grid = h('table', { class: 'dag-grid', 'data-testid': `grid-${id}`, 'data-runs': runs.length }, h('thead', {}, headRow), h('tbody', {}, taskRows, delayRow));
    fill(c.grid, grid);
    // Keep the newest runs in view.
    c.grid.scrollLeft = c.grid.scrollWidth;
  }

  async function loadRuns(id) {
    const res = await api.getJSON(`/api/dags/${api.seg(id)}/runs`, { limit: RUNS });
    if (!stopped) renderRuns(id, res);
  }

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    try {
      const dags = (await api.getJSON('/api/dags')) || [];
      if (stopped) return;
      if (!dags.length) fill(listBox, empty('No DAGs: the config has no dags section.', 'dags-empty'));
      else {
        const placeholder = listBox.querySelector('[data-testid="dags-empty"]');
        if (placeholder) placeholder.remove();
      }
      for (const d of dags) renderDag(d);
      await Promise.all(dags.map((d) => loadRuns(d.dag_id)));
      fill(errBox);
    } catch (e) {
      if (!stopped) fill(errBox, errorLine(e));
    } finally {
      busy = false;
      root.dataset.ready = '1';
    }
  }

  // ---- the task log ----

  function openLog(dag, run, task, tryNumber) {
    closeLog();
    log = { dag, run, task, try: tryNumber, offset: 0, timer: null };
    logPanel.hidden = false;
    fill(logTitle, 'Log of ', h('code', {}, task), ' in ', h('code', {}, run), ` (try ${tryNumber})`);
    logText.textContent = '';
    logText.dataset.running = 'true';
    logText.dataset.offset = '0';
    pollLog(log);
  }

  async function pollLog(mine) {
    if (stopped || log !== mine) return;
    try {
      const path = `/api/dags/${api.seg(mine.dag)}/runs/${api.seg(mine.run)}/tasks/${api.seg(mine.task)}/log`;
      const r = await api.getJSON(path, { try: mine.try, offset: mine.offset });
      if (stopped || log !== mine) return;
      const atEnd = logText.scrollTop + logText.clientHeight >= logText.scrollHeight - 4;
      if (r.text) {
        let text = logText.textContent + r.text;
        if (text.length > LOG_KEEP_CHARS) text = text.slice(text.length - LOG_KEEP_CHARS);
        logText.textContent = text;
      }
      mine.offset = r.next_offset;
      logText.dataset.offset = String(r.next_offset);
      logText.dataset.running = String(!!r.running);
      if (atEnd) logText.scrollTop = logText.scrollHeight;
      if (r.running) mine.timer = setTimeout(() => pollLog(mine), LOG_POLL_MS);
    } catch (e) {
      if (log === mine) {
        logText.dataset.running = 'false';
        logText.append(`\n[log unavailable: ${e.message}]`);
      }
    }
  }

  function closeLog() {
    if (log && log.timer) clearTimeout(log.timer);
    log = null;
    logPanel.hidden = true;
  }
  logClose.addEventListener('click', closeLog);

  const unsub = api.subscribe('runs', (ev) => {
    if (stopped) return;
    if (ev && ev.dag_id && cards.has(ev.dag_id)) loadRuns(ev.dag_id).catch(() => {});
    else refresh();
  });
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);

  return {
    unmount() {
      stopped = true;
      unsub();
      clearInterval(timer);
      closeLog();
    },
  };
}
