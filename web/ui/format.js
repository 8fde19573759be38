// How numbers, times and sizes read on every page. Every function takes what the API
// sends (numbers, possibly null or undefined) and returns text; '–' for "no value".

const NONE = '–';
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

// 12,345
export const int = (n) => (isNum(n) ? intFmt.format(n) : NONE);

// 1,234.5/s
export const rate = (r) => (isNum(r) ? `${oneFmt.format(r)}/s` : NONE);

// 0.8 ms, 12.3 ms, 1.25 s, 2m 05s, 3h 02m
export function ms(x) {
  if (!isNum(x)) return NONE;
  const a = Math.abs(x);
  if (x === 0) return '0 ms';
  if (a < 1) return `${x.toFixed(2)} ms`;
  if (a < 1000) return `${oneFmt.format(x)} ms`;
  if (a < 60000) return `${(x / 1000).toFixed(2)} s`;
  const s = Math.round(x / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

// Lag in seconds: 0.8 s, 2m 05s
export const seconds = (s) => (!isNum(s) ? NONE : s === 0 ? '0 s' : ms(s * 1000));

// 1.2 KiB, 3.4 MiB
export function bytes(n) {
  if (!isNum(n)) return NONE;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${intFmt.format(v)} B` : `${v.toFixed(1)} ${units[i]}`;
}

// Local wall time of an epoch-ms instant: 2026-12-02 10:00:01.234
export function time(t, withMs = false) {
  if (!isNum(t) || t <= 0) return NONE;
  const d = new Date(t);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const s = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withMs ? `${s}.${p(d.getMilliseconds(), 3)}` : s;
}

// Just the clock part, for tables that repeat the day: 10:00:01
export function clock(t) {
  const s = time(t);
  return s === NONE ? s : s.slice(11);
}

// "3 s ago", "2m 05s ago"
export function ago(t, now = Date.now()) {
  if (!isNum(t) || t <= 0) return NONE;
  return `${ms(Math.max(0, now - t))} ago`;
}
