// The result grid: column names with their Kusto types, click-to-sort (aria-sort), dynamic
// values expandable to indented JSON, pages of PAGE rows, and CSV export of the whole result.
import { h } from '../dom.js';

const PAGE = 1000; // rows drawn at a time; sorting and CSV use all of them
const NUMERIC = new Set(['int', 'long', 'real', 'decimal']);

function parseDynamic(v) {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function compare(type) {
  return (a, b) => {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (NUMERIC.has(type)) return Number(a) - Number(b);
    if (type === 'bool') return Number(a) - Number(b);
    return String(a).localeCompare(String(b));
  };
}

/** The CSV text of a result table (RFC 4180: quoted when needed, CRLF line ends). */
export function toCsv(table) {
  const cell = (v) => {
    if (v === null || v === undefined) return '';
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [table.columns.map((c) => cell(c.name)).join(',')];
  for (const row of table.rows) lines.push(row.map(cell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function downloadCsv(table, name = 'query-results.csv') {
  const blob = new Blob([toCsv(table)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function valueCell(value, type) {
  if (value === null || value === undefined) return h('td', { class: 'null' }, '');
  if (type !== 'dynamic') return h('td', { class: NUMERIC.has(type) ? 'num' : null }, String(value));
  const parsed = parseDynamic(value);
  if (parsed === null || typeof parsed !== 'object') return h('td', {}, String(parsed));
  const full = h('pre', { class: 'dynamic', hidden: true }, JSON.stringify(parsed, null, 2));
  const button = h(
    'button',
    {
      type: 'button',
      class: 'expand',
      'aria-expanded': 'false',
      onclick: () => {
        full.hidden = !full.hidden;
        button.setAttribute('aria-expanded', String(!full.hidden));
        button.firstChild.textContent = full.hidden ? '\u25B8' : '\u25BE';
      },
    },
    h('span', { 'aria-hidden': 'true' }, '\u25B8'),
    h('span', { class: 'sr-only' }, 'Expand value'),
  );
  const short = JSON.stringify(parsed);
  return h('td', { class: 'dyn' }, button, h('span', { class: 'dyn-short' }, short.length > 80 ? `${short.slice(0, 80)}\u2026` : short), full);
}

/** The grid element for one result table ({name, columns: [{name, type}], rows}). */
export function resultGrid(table) {
  const rows = table.rows.slice();
  const sort = { column: -1, dir: 1 };
  const body = h('tbody');
  const heads = table.columns.map((c, i) =>
    h(
      'th',
      { scope: 'col', 'aria-sort': 'none' },
      h(
        'button',
        { type: 'button', class: 'sort', onclick: () => sortBy(i) },
        h('span', { class: 'col-name' }, c.name),
        h('span', { class: 'col-type' }, c.type),
      ),
    ),
  );

  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  let page = 0;
  const count = h('p', { class: 'row-count', id: 'grid-rows', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', id: 'grid-prev', onclick: () => turn(-1) }, 'Previous');
  const next = h('button', { type: 'button', id: 'grid-next', onclick: () => turn(1) }, 'Next');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Result pages', hidden: pages === 1 }, prev, next);

  function draw() {
    const first = page * PAGE;
    const shown = rows.slice(first, first + PAGE);
    body.replaceChildren(
      ...shown.map((r) => h('tr', {}, r.map((v, i) => valueCell(v, table.columns[i].type)))),
    );
    const total = `${rows.length.toLocaleString('en-US')} row${rows.length === 1 ? '' : 's'}`;
    count.textContent =
      pages === 1
        ? total
        : `Rows ${(first + 1).toLocaleString('en-US')}\u2013${(first + shown.length).toLocaleString('en-US')} of ${total} (page ${page + 1} of ${pages})`;
    prev.disabled = page === 0;
    next.disabled = page === pages - 1;
  }

  function turn(step) {
    page = Math.min(pages - 1, Math.max(0, page + step));
    draw();
  }

  function sortBy(i) {
    sort.dir = sort.column === i ? -sort.dir : 1;
    sort.column = i;
    const cmp = compare(table.columns[i].type);
    rows.sort((a, b) => sort.dir * cmp(a[i], b[i]));
    page = 0;
    heads.forEach((th, j) => th.setAttribute('aria-sort', j !== i ? 'none' : sort.dir > 0 ? 'ascending' : 'descending'));
    draw();
  }

  draw();
  if (!rows.length) {
    body.append(h('tr', {}, h('td', { colspan: String(table.columns.length || 1), class: 'note' }, 'No results found for the time range and query.')));
  }
  return h(
    'div',
    { class: 'grid-wrap' },
    h(
      'table',
      { class: 'grid', id: 'result-grid' },
      h('caption', { class: 'sr-only' }, `${table.name}: ${rows.length} rows`),
      h('thead', {}, h('tr', {}, heads)),
      body,
    ),
    h('div', { class: 'grid-foot' }, count, pager),
  );
}
