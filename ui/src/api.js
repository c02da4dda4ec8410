// The one client for the server's HTTP APIs. The UI authenticates by its session cookie
// (HttpOnly, set by POST /ui/login); every unsafe request carries the session's CSRF token in
// X-CSRF-Token. Errors come back in the server's one JSON shape: {"error": {code, message}}.

let csrf = null;
let session = null;

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

const SAFE = new Set(['GET', 'HEAD']);

export async function request(method, path, body, headers = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (!SAFE.has(method) && csrf) h['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 204) return null;
  const text = await response.text();
  let doc = null;
  try {
    doc = text ? JSON.parse(text) : null;
  } catch {
    doc = null;
  }
  if (!response.ok) {
    const e = (doc && doc.error) || {};
    if (response.status === 401 && session) {
      session = null;
      window.dispatchEvent(new CustomEvent('kustodian:signed-out'));
    }
    throw new ApiError(response.status, e.code || `HTTP ${response.status}`, e.message || text, doc);
  }
  return doc;
}

export const get = (path) => request('GET', path);
export const put = (path, body) => request('PUT', path, body);
export const post = (path, body) => request('POST', path, body);
export const del = (path) => request('DELETE', path);

/** The signed-in session ({name, role, workspaceId, csrfToken, expires}) or null. */
export async function loadSession() {
  try {
    adopt(await get('/ui/session'));
  } catch (e) {
    if (e.status !== 401) throw e;
    session = null;
  }
  return session;
}

export function currentSession() {
  return session;
}

export async function login(token) {
  adopt(await post('/ui/login', { token }));
  return session;
}

export async function logout() {
  try {
    await post('/ui/logout', {});
  } finally {
    session = null;
    csrf = null;
  }
}

function adopt(doc) {
  session = doc;
  csrf = doc.csrfToken;
}

const ROLES = ['reader', 'contributor', 'admin'];

/** Whether the session's role is at least `role`. */
export function hasRole(role) {
  return !!session && ROLES.indexOf(session.role) >= ROLES.indexOf(role);
}

// -- the Logs Query API ----------------------------------------------------------------------

/** Runs a query; returns {tables, render, statistics, error}. `timespan`: ISO 8601 or null. */
export function runQuery(text, timespan) {
  const body = { query: text };
  if (timespan) body.timespan = timespan;
  const ws = encodeURIComponent(session.workspaceId);
  return request('POST', `/v1/workspaces/${ws}/query`, body, {
    Prefer: 'include-render=true, include-statistics=true',
  });
}

export function metadata() {
  return get(`/v1/workspaces/${encodeURIComponent(session.workspaceId)}/metadata`);
}

// -- saved queries (server side) -------------------------------------------------------------

export async function savedQueries() {
  return (await get('/manage/v1/saved-queries')).value;
}

export function saveQuery(id, item) {
  return put(`/manage/v1/saved-queries/${encodeURIComponent(id)}`, item);
}

export function deleteSavedQuery(id) {
  return del(`/manage/v1/saved-queries/${encodeURIComponent(id)}`);
}
