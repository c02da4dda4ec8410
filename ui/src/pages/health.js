// Ingestion health: rows and last arrivals per table, dead letters by table and source (with a
// link to the IngestionErrors query), and each connector's last pull.
import { h } from '../dom.js';
import { dataTable, loaded, logsLink, manage, pageHeader, when } from '../components/kit.js';

function errorsQuery(d) {
  const q = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const table = d.table ? `TargetTable == ${q(d.table)}` : 'isempty(TargetTable)';
  return `IngestionErrors\n| where ${table} and Source == ${q(d.source)}\n| order by TimeGenerated desc`;
}

export async function render(root) {
  const { header, status, say } = pageHeader('Ingestion health');
  const body = h('div', { id: 'health' });
  root.append(h('section', { class: 'page health' }, header, status, body));
  const r = await loaded(body, manage.health);
  if (!r) return;
  const dead = r.deadLetters.reduce((a, d) => a + d.count, 0);
  say(`${r.tables.length} tables, ${dead} dead letters, ${r.connectors.length} connectors.`);
  body.replaceChildren(
    h('h2', {}, 'Dead letters'),
    h('div', { id: 'dead-letters' }, dataTable('Dead letters by table and source', [
      ['Table', (d) => d.table],
      ['Source', (d) => d.source],
      ['Count', (d) => String(d.count)],
      ['Last', (d) => when(d.last)],
      ['Sample reason', (d) => d.sampleReason],
      ['', (d) => logsLink('Open in Logs', errorsQuery(d), 'P30D', { 'aria-label': `Open in Logs: the ingestion errors of ${d.table} from ${d.source}` })],
    ], r.deadLetters, 'No dead letters: every record was ingested.')),
    h('h2', {}, 'Connectors'),
    h('div', { id: 'connectors' }, dataTable('Connectors', [
      ['Name', (c) => c.name],
      ['Kind', (c) => c.kind],
      ['Last pull', (c) => when(c.lastPull)],
      ['Last error', (c) => c.lastError || ''],
    ], r.connectors, 'No connectors configured.')),
    h('h2', {}, 'Tables'),
    h('div', { id: 'table-rows' }, dataTable('Rows per table', [
      ['Table', (t) => t.name],
      ['Rows', (t) => t.rows.toLocaleString('en')],
      ['Last TimeGenerated', (t) => when(t.lastTimeGenerated)],
      ['Last received', (t) => when(t.lastReceived)],
    ], r.tables)),
  );
}
