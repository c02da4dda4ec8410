// Hash routes: `#/logs?query=...`. Pages register here (pages/index.js); each page module
// exports `render(root, ctx)` and may return a cleanup function, called when leaving it.

const routes = [];
let current = null;

/**
 * Registers a page.
 * @param {{path: string, title: string, load: () => Promise<any>, nav?: boolean,
 *          role?: string, public?: boolean}} route
 */
export function register(route) {
  routes.push({ nav: true, role: 'reader', public: false, ...route });
}

export function allRoutes() {
  return routes;
}

/** `#/rules/new?query=x` -> {path: '/rules/new', params: URLSearchParams}. */
export function parse(hash) {
  const text = (hash || '').replace(/^#/, '') || '/';
  const [path, qs] = text.split('?', 2);
  return { path: path || '/', params: new URLSearchParams(qs || '') };
}

export function navigate(path, params) {
  const qs = params ? `?${new URLSearchParams(params)}` : '';
  window.location.hash = `#${path}${qs}`;
}

/** The registered route for `path`: exact first, then the longest prefix. */
export function match(path) {
  const exact = routes.find((r) => r.path === path);
  if (exact) return exact;
  const prefixed = routes
    .filter((r) => path.startsWith(`${r.path}/`))
    .sort((a, b) => b.path.length - a.path.length);
  return prefixed[0] || null;
}

function notFound(path, home) {
  const p = document.createElement('p');
  const a = document.createElement('a');
  a.href = `#${home}`;
  a.textContent = 'Back to Logs';
  p.append(`There is no page at #${path} yet. `, a);
  return p;
}

/** Renders the route of the current hash into `outlet`; `guard(route)` may redirect. */
export async function show(outlet, ctx, guard) {
  const { path, params } = parse(window.location.hash);
  const route = match(path);
  if (current && typeof current.cleanup === 'function') current.cleanup();
  current = null;
  if (!route) {
    outlet.replaceChildren(notFound(path, ctx.home));
    return;
  }
  if (guard && !guard(route)) return;
  const module = await route.load();
  outlet.replaceChildren();
  document.title = `${route.title} - Kustodian`;
  const cleanup = await module.render(outlet, { ...ctx, path, params, route });
  current = { route, cleanup };
  ctx.onShown?.(route);
}
