// The dashboard's shell: a hash router over the page modules, the nav bar, and the
// session line (user, log out). Each page module exports mount(root) and returns
// {unmount()}; it marks root.dataset.ready = '1' once its first data is on screen.
//
// Stable hooks: #page[data-page=<route>][data-ready=1], nav a[data-route=<route>].active
import * as api from './api.js';
import { errorLine } from './dom.js';
import * as pipeline from './pipeline.js';
import * as streaming from './streaming.js';
import * as topics from './topics.js';
import * as deadLetters from './dead_letters.js';
import * as dags from './dags.js';
import * as tablePage from './table.js';

const ROUTES = {
  pipeline: { title: 'Pipeline', mod: pipeline },
  streaming: { title: 'Streaming', mod: streaming },
  topics: { title: 'Topics', mod: topics },
  'dead-letters': { title: 'Dead letters', mod: deadLetters },
  dags: { title: 'DAGs', mod: dags },
  table: { title: 'Table', mod: tablePage },
};
const DEFAULT = 'pipeline';

let current = null;  // {name, page}

// '#/topics' -> 'topics'; anything unknown -> the default page.
function routeOf(hash) {
  const name = (hash || '').replace(/^#\/?/, '').split(/[/?]/)[0];
  return ROUTES[name] ? name : DEFAULT;
}

function show() {
  const name = routeOf(location.hash);
  if (current && current.name === name) return;
  if (current) {
    try {
      current.page.unmount();
    } catch (e) {
      console.warn('unmount', e);
    }
  }
  const root = document.getElementById('page');
  // A fresh root element per page: nothing of the last page's listeners survives.
  const fresh = root.cloneNode(false);
  fresh.dataset.page = name;
  fresh.dataset.ready = '0';
  root.replaceWith(fresh);
  document.title = `sluice: ${ROUTES[name].title}`;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.route === name);
  let page;
  try {
    page = ROUTES[name].mod.mount(fresh);
  } catch (e) {
    fresh.append(errorLine(e));
    page = { unmount() {} };
  }
  current = { name, page };
}

async function showSession() {
  try {
    const s = await api.session();
    const who = document.getElementById('who');
    const out = document.getElementById('logout');
    if (s.login_required && s.user) {
      who.textContent = s.user;
      out.hidden = false;
      out.addEventListener('click', logout);
    }
  } catch {
    // 401 is handled by api.js (redirect); anything else shows on the pages themselves.
  }
}

async function logout() {
  try {
    const { csrf } = await api.session();
    api.closeEvents();
    await fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-Sluice-Csrf': csrf } });
  } finally {
    location.assign('/login');
  }
}

window.addEventListener('hashchange', show);
window.addEventListener('pagehide', () => api.closeEvents());
if (!location.hash) history.replaceState(null, '', `#/${DEFAULT}`);
show();
showSession();
