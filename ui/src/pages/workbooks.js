// Workbooks (#/workbooks, #/workbooks/{id}): each tile's KQL query runs through the query API
// over the chosen time range and is drawn with the Logs page's chart and grid.
import * as api from '../api.js';
import { errorText, h } from '../dom.js';
import { chart } from '../components/chart.js';
import { resultGrid } from '../components/grid.js';
import { field, loadError, loaded, logsLink, manage, pageHeader, select } from '../components/kit.js';
import { PRESETS } from '../components/timerange.js';

export async function render(root, ctx) {
  const id = ctx.path.startsWith('/workbooks/') ? decodeURIComponent(ctx.path.slice('/workbooks/'.length)) : null;
  return id ? workbook(root, ctx, id) : list(root);
}

async function list(root) {
  const { header, status, say } = pageHeader('Workbooks');
  const body = h('ul', { id: 'workbooks', class: 'cards' });
  root.append(h('section', { class: 'page workbooks' }, header, status, body));
  try {
    const found = await manage.workbooks();
    say(`${found.length} workbooks.`);
    body.replaceChildren(...found.map((w) => h('li', { class: 'card' },
      h('h2', {}, h('a', { href: `#/workbooks/${encodeURIComponent(w.id)}` }, w.title)),
      h('p', {}, w.description),
      h('p', { class: 'meta' }, `${w.tiles.length} tiles`))));
  } catch (e) {
    body.replaceChildren(h('li', {}, loadError(e)));
  }
}

function drawTile(tile, doc) {
  const table = doc.tables[0];
  if (!table.rows.length) return h('p', { class: 'note empty' }, 'No data in this time range.');
  if (tile.visualization === 'table') {
    const grid = resultGrid(table);
    grid.querySelector('#result-grid')?.removeAttribute('id'); // several grids on one page
    return grid;
  }
  const props = { visualization: tile.visualization, kind: tile.kind || undefined };
  return chart(table, props);
}

async function workbook(root, ctx, id) {
  const { header, status, say } = pageHeader('Workbook');
  const range = select(PRESETS.filter((p) => p.value !== 'custom').map((p) => [p.value, p.label]), ctx.params.get('timespan') || 'P7D', { id: 'workbook-range' });
  const tiles = h('div', { class: 'tiles', id: 'tiles' });
  const intro = h('p', { class: 'description' });
  root.append(h('section', { class: 'page workbook' },
    h('p', {}, h('a', { href: '#/workbooks' }, 'All workbooks')),
    header, intro, h('div', { class: 'row' }, field('Time range', range)), status, tiles));
  const wb = await loaded(tiles, () => manage.workbook(id));
  if (!wb) return;
  header.querySelector('h1').textContent = wb.title;
  intro.textContent = wb.description;
  range.addEventListener('change', () => ctx.navigate(`/workbooks/${encodeURIComponent(id)}`, { timespan: range.value }));

  const boxes = wb.tiles.map((t, i) => {
    const body = h('div', { class: 'tile-body', 'aria-busy': 'true' }, h('p', { class: 'note' }, 'Running\u2026'));
    const el = h('section', { class: `tile ${t.size}`, id: `tile-${i}`, 'aria-labelledby': `tile-${i}-title`, dataset: { visualization: t.visualization } },
      h('div', { class: 'tile-head' },
        h('h2', { id: `tile-${i}-title` }, t.title),
        logsLink('Open in Logs', t.query, range.value, { 'aria-label': `Open in Logs: ${t.title}` })),
      body);
    return { t, el, body };
  });
  tiles.replaceChildren(...boxes.map((b) => b.el));
  say(`Running ${boxes.length} queries\u2026`);
  let failed = 0;
  await Promise.all(boxes.map(async ({ t, el, body }) => {
    try {
      const doc = await api.runQuery(t.query, range.value);
      body.replaceChildren(drawTile(t, doc));
      el.dataset.rows = String(doc.tables[0].rows.length);
    } catch (e) {
      failed += 1;
      body.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }));
  say(failed ? `${failed} of ${boxes.length} tiles failed.` : `${boxes.length} tiles.`);
}
