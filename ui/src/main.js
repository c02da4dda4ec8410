// The app shell: session, navigation, and the hash router. Pages live in pages/ (pages/index.js).
import './styles.css';
import './pages/index.js';
import { currentSession, hasRole, loadSession, logout } from './api.js';
import { h } from './dom.js';
import { allRoutes, navigate, parse, show } from './router.js';

const HOME = '/logs';
const outlet = document.getElementById('main');

const ctx = {
  home: HOME,
  navigate,
  signedIn: (next) => {
    renderChrome();
    navigate(next || HOME);
  },
  onShown: markCurrent,
};

function guard(route) {
  if (route.public) return true;
  if (!currentSession()) {
    const { path } = parse(window.location.hash);
    navigate('/login', { next: path });
    return false;
  }
  if (!hasRole(route.role)) {
    outlet.replaceChildren(h('p', { class: 'error' }, `This page needs the ${route.role} role.`));
    return false;
  }
  return true;
}

function renderChrome() {
  const session = currentSession();
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  nav.replaceChildren();
  who.replaceChildren();
  if (!session) return;
  const links = allRoutes()
    .filter((r) => r.nav && hasRole(r.role))
    .map((r) => h('a', { href: `#${r.path}`, dataset: { path: r.path } }, r.title));
  nav.append(...links);
  who.append(
    h('span', { class: 'who-name', title: `workspace ${session.workspaceId}` }, `${session.name} (${session.role})`),
    h('button', { type: 'button', id: 'logout', onclick: signOut }, 'Sign out'),
  );
  markCurrent();
}

function markCurrent() {
  const { path } = parse(window.location.hash);
  for (const a of document.querySelectorAll('#nav a')) {
    const here = path === a.dataset.path || path.startsWith(`${a.dataset.path}/`);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  await logout();
  renderChrome();
  navigate('/login');
}

async function route() {
  try {
    await show(outlet, ctx, guard);
  } catch (e) {
    outlet.replaceChildren(h('p', { class: 'error', role: 'alert' }, `This page failed: ${e.message}`));
  }
}

window.addEventListener('kustodian:signed-out', () => {
  renderChrome();
  navigate('/login', { next: parse(window.location.hash).path });
});
window.addEventListener('hashchange', route);

(async () => {
  await loadSession();
  renderChrome();
  if (!window.location.hash || window.location.hash === '#/') {
    window.history.replaceState(null, '', `#${HOME}`); // no hashchange: route() below shows it
  }
  await route();
})();
