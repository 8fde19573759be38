// The dashboard's one door to the server (web/../helpers' api.md is the contract):
// JSON fetch helpers, the CSRF header on every POST, a redirect to /login on 401, and
// one shared EventSource on /api/events that pages subscribe to by event name.

let sessionPromise = null;

// GET /api/session once per page load: {login_required, user, csrf}.
export function session() {
  if (!sessionPromise) {
    sessionPromise = getJSON('/api/session').catch((e) => {
      sessionPromise = null;  // try again next time
      throw e;
    });
  }
  return sessionPromise;
}

// An error the server answered with ({"error": "..."}), or a network failure.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function toLogin() {
  // Keep the page the user was on for after the login.
  if (location.pathname !== '/login') location.assign('/login');
}

async function handle(res) {
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, 'login required');
  }
  const type = res.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const msg = body && typeof body === 'object' && body.error ? body.error : `HTTP ${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return body;
}

// GET path (with an optional query object; undefined/null/'' values are left out).
export async function getJSON(path, query) {
  const res = await fetch(withQuery(path, query), {
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
  });
  return handle(res);
}

// POST a JSON body with the session's CSRF token.
export async function postJSON(path, body) {
  const { csrf } = await session();
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Sluice-Csrf': csrf },
    body: body === undefined ? '{}' : JSON.stringify(body),
  });
  return handle(res);
}

// path?k=v&... ; values are encoded, empty ones skipped.
export function withQuery(path, query) {
  if (!query) return path;
  const parts = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

// Path segment, encoded (DAG ids, run ids with ':' and '+', topic names with '.').
export const seg = (s) => encodeURIComponent(s);

// ---- live updates ----

const listeners = new Map();  // event name -> Set of callbacks
let source = null;

// Calls fn(data) for each SSE event `name`; returns the function that unsubscribes.
export function subscribe(name, fn) {
  if (!listeners.has(name)) {
    listeners.set(name, new Set());
    if (source) attach(name);
  }
  listeners.get(name).add(fn);
  ensureSource();
  return () => listeners.get(name)?.delete(fn);
}

function attach(name) {
  source.addEventListener(name, (ev) => {
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;  // a malformed event is dropped, never thrown into the console
    }
    for (const fn of listeners.get(name) || []) fn(data);
  });
}

function ensureSource() {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/events');
  for (const name of listeners.keys()) attach(name);
  source.addEventListener('open', () => setLive(true));
  source.addEventListener('error', () => {
    setLive(false);
    // EventSource cannot see the status: ask the API whether the session ended.
    if (source.readyState === EventSource.CLOSED) {
      source = null;
      fetch('/api/session', { credentials: 'same-origin' })
        .then((r) => {
          if (r.status === 401) toLogin();
          else setTimeout(ensureSource, 3000);
        })
        .catch(() => setTimeout(ensureSource, 3000));
    }
  });
}

// The nav bar's dot: live (SSE connected) or not.
function setLive(on) {
  const dot = document.getElementById('live');
  if (!dot) return;
  dot.classList.toggle('on', on);
  dot.title = on ? 'live updates connected' : 'live updates disconnected';
}

// Closes the stream (the page is being left; lets tests end without aborted requests).
export function closeEvents() {
  if (source) source.close();
  source = null;
}
