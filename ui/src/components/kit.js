// Small building blocks of the management pages: labelled fields, data tables, status lines,
// times, and the management API's calls. Every control has a label; tables have captions.
import * as api from '../api.js';
import { errorText, h, toast } from '../dom.js';

let ids = 0;

/** A unique element id with a readable prefix. */
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A label and its control (the control gets an id when it has none); `help` is described-by. */
export function field(label, control, help) {
  if (!control.id) control.id = uid('f');
  const helpEl = help ? h('span', { class: 'field-help', id: `${control.id}-help` }, help) : null;
  if (helpEl) control.setAttribute('aria-describedby', helpEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, helpEl);
}

/** A <select> of [value, label] pairs (or plain values). */
export function select(options, value, attrs = {}) {
  const el = h(
    'select',
    attrs,
    options.map((o) => {
      const [v, text] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v }, text);
    }),
  );
  if (value !== undefined && value !== null) el.value = String(value);
  return el;
}

/** The page's heading and a polite status line (`status.say(text)`). */
export function pageHeader(title, ...actions) {
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const header = h('div', { class: 'page-header' }, h('h1', {}, title), h('div', { class: 'actions' }, actions));
  return { header, status, say: (text) => (status.textContent = text) };
}

/**
 * A table of records: columns are [heading, (item) => cell content]; `caption` names it.
 * An empty list shows `empty` instead.
 */
export function dataTable(caption, columns, items, empty = 'None.') {
  if (!items.length) return h('p', { class: 'note empty' }, empty);
  return h(
    'div',
    { class: 'grid-wrap' },
    h(
      'table',
      { class: 'grid records' },
      h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, columns.map(([name]) => h('th', { scope: 'col' }, name)))),
      h(
        'tbody',
        {},
        items.map((item) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(item))))),
      ),
    ),
  );
}

/** An ISO time for people: `2024-05-01 12:00:00Z` (UTC, as the API has it); '' for none. */
export function when(iso) {
  return iso ? `${iso.replace('T', ' ').replace(/\.\d+/, '').replace('Z', '')}Z` : '';
}

/** Runs `fn`; a failure is toasted (and returned as null) instead of thrown. */
export async function attempt(fn, done) {
  try {
    const out = await fn();
    if (done) toast(done);
    return out;
  } catch (e) {
    toast(errorText(e), 'error');
    return null;
  }
}

/** A failure to load a page's data, shown in the page. */
export function loadError(e) {
  return h('p', { class: 'error', role: 'alert' }, `Could not load: ${errorText(e)}`);
}

/** `fn()`'s data; on failure, the error is shown in `box` and the result is null. */
export async function loaded(box, fn) {
  try {
    return await fn();
  } catch (e) {
    box.replaceChildren(loadError(e));
    return null;
  }
}

/** Appends an <li> of `children` to `list`, with a Remove button that drops `row` from `rows`. */
export function removableItem(list, rows, row, cls, label, ...children) {
  const li = h('li', { class: cls }, ...children);
  li.append(h('button', {
    type: 'button',
    class: 'remove',
    'aria-label': label,
    onclick: () => {
      rows.splice(rows.indexOf(row), 1);
      li.remove();
    },
  }, 'Remove'));
  rows.push(row);
  list.append(li);
  return row;
}

export const SEVERITIES = [0, 1, 2, 3, 4];

export function severityName(n) {
  return `Sev${n}`;
}

const enc = encodeURIComponent;
const M = '/manage/v1';

/** The management API (docs/server.md#management-api). */
export const manage = {
  list: async (what) => (await api.get(`${M}/${what}`)).value,
  rules: async () => (await api.get(`${M}/rules`)).value,
  rule: (name) => api.get(`${M}/rules/${enc(name)}`),
  putRule: (name, doc) => api.put(`${M}/rules/${enc(name)}`, doc),
  deleteRule: (name) => api.del(`${M}/rules/${enc(name)}`),
  enableRule: (name, on) => api.post(`${M}/rules/${enc(name)}/${on ? 'enable' : 'disable'}`),
  groups: async () => (await api.get(`${M}/action-groups`)).value,
  group: (name) => api.get(`${M}/action-groups/${enc(name)}`),
  putGroup: (name, doc) => api.put(`${M}/action-groups/${enc(name)}`, doc),
  deleteGroup: (name) => api.del(`${M}/action-groups/${enc(name)}`),
  testGroup: async (name) => (await api.post(`${M}/action-groups/${enc(name)}/test`)).value,
  alerts: async (filters) => {
    const qs = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== '' && v !== null && v !== undefined));
    return (await api.get(`${M}/alerts${qs.toString() ? `?${qs}` : ''}`)).value;
  },
  alert: (id) => api.get(`${M}/alerts/${enc(id)}`),
  alertState: (id, action) => api.post(`${M}/alerts/${enc(id)}/${action}`),
  detections: async () => (await api.get(`${M}/detections`)).value,
  putDetection: (id, body) => api.put(`${M}/detections/${enc(id)}`, body),
  namedLocations: async () => (await api.get(`${M}/named-locations`)).value,
  putNamedLocation: (name, body) => api.put(`${M}/named-locations/${enc(name)}`, body),
  deleteNamedLocation: (name) => api.del(`${M}/named-locations/${enc(name)}`),
  tables: async () => (await api.get(`${M}/tables`)).value,
  retention: () => api.get(`${M}/retention`),
  setRetention: (days) => api.put(`${M}/retention`, { retentionInDays: days }),
  setTableRetention: (name, days) => api.put(`${M}/tables/${enc(name)}/retention`, { retentionInDays: days }),
  applyRetention: () => api.post(`${M}/retention/apply`),
  health: () => api.get(`${M}/ingestion/health`),
  outbox: async () => (await api.get(`${M}/outbox`)).value,
  workbooks: async () => (await api.get(`${M}/workbooks`)).value,
  workbook: (id) => api.get(`${M}/workbooks/${enc(id)}`),
};

/** A link that opens the Logs page with `query` over `timespan` (ISO 8601 duration or interval). */
export function logsLink(text, query, timespan, attrs = {}) {
  const qs = new URLSearchParams({ query, ...(timespan ? { timespan } : {}) });
  return h('a', { href: `#/logs?${qs}`, ...attrs }, text);
}
