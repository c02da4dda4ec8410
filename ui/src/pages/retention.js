// Retention (admin): the workspace default and each table's own, back to the default, and
// "apply now" (removes the rows past retention).
import { errorText, h } from '../dom.js';
import { attempt, dataTable, field, loaded, manage, pageHeader } from '../components/kit.js';

const SOURCE = { workspace: 'workspace default', table: 'own setting', 'built-in': 'built-in' };

export async function render(root) {
  const { header, status, say } = pageHeader('Retention');
  const body = h('div', { id: 'retention' });
  const report = h('div', { id: 'retention-report', 'aria-live': 'polite' });
  root.append(h('section', { class: 'page retention' }, header, status, body, report));

  async function draw() {
    const both = await loaded(body, () => Promise.all([manage.tables(), manage.retention()]));
    if (!both) return;
    const [tables, ws] = both;
    const days = h('input', { type: 'number', id: 'workspace-retention', min: '1', value: String(ws.retentionInDays) });
    body.replaceChildren(
      h('form', { class: 'row', id: 'workspace-retention-form', onsubmit: async (ev) => {
        ev.preventDefault();
        if ((await attempt(() => manage.setRetention(Number(days.value)), `Workspace retention: ${days.value} days.`)) !== null) draw();
      } }, field('Workspace default (days)', days), h('button', { type: 'submit' }, 'Save default')),
      dataTable('Retention per table', [
        ['Table', (t) => t.name],
        ['Kind', (t) => t.kind],
        ['Rows', (t) => t.rows.toLocaleString('en')],
        ['Retention (days)', (t) => {
          const input = h('input', { type: 'number', min: '1', value: String(t.retentionInDays), id: `ret-${t.name}`, 'aria-label': `Retention of ${t.name} in days`, class: 'days' });
          return h('form', { class: 'inline', onsubmit: async (ev) => {
            ev.preventDefault();
            if ((await attempt(() => manage.setTableRetention(t.name, Number(input.value)), `${t.name}: ${input.value} days.`)) !== null) draw();
          } }, input, h('button', { type: 'submit', 'aria-label': `Save retention of ${t.name}` }, 'Save'));
        }],
        ['Source', (t) => SOURCE[t.retentionSource] || t.retentionSource],
        ['', (t) => t.retentionSource === 'table'
          ? h('button', { type: 'button', 'aria-label': `Use the workspace default for ${t.name}`, onclick: async () => {
            if ((await attempt(() => manage.setTableRetention(t.name, null), `${t.name}: workspace default.`)) !== null) draw();
          } }, 'Use default')
          : ''],
      ], tables),
      h('button', { type: 'button', id: 'retention-apply', onclick: async () => {
        try {
          const r = await manage.applyRetention();
          report.replaceChildren(h('p', {}, `Removed ${r.totalRemoved} rows past retention.`));
          draw();
        } catch (e) {
          report.replaceChildren(h('p', { class: 'error' }, errorText(e)));
        }
      } }, 'Apply retention now'),
    );
    say(`${tables.length} tables; workspace default ${ws.retentionInDays} days.`);
  }
  await draw();
}
