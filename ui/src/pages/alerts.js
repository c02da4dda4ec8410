// Alerts: the list filtered by severity, monitor condition, user state and time; the detail of
// one alert (#/alerts/{id}): the values that fired, dimensions, history, a link that opens its
// query over the alert's window in Logs; acknowledge and close.
import * as api from '../api.js';
import { errorText, h } from '../dom.js';
import { SEVERITIES, attempt, dataTable, field, loaded, logsLink, manage, pageHeader, select, severityName, when } from '../components/kit.js';

const SINCE = [
  ['', 'Any time'],
  ['PT1H', 'Last hour'],
  ['PT24H', 'Last 24 hours'],
  ['P7D', 'Last 7 days'],
  ['P30D', 'Last 30 days'],
];
const MS = { PT1H: 3600e3, PT24H: 86400e3, P7D: 7 * 86400e3, P30D: 30 * 86400e3 };

export async function render(root, ctx) {
  const id = ctx.path.startsWith('/alerts/') ? decodeURIComponent(ctx.path.slice('/alerts/'.length)) : null;
  return id ? detail(root, ctx, id) : list(root, ctx);
}

async function list(root, ctx) {
  const { header, status, say } = pageHeader('Alerts');
  const p = ctx.params;
  const severity = select([['', 'All'], ...SEVERITIES.map((s) => [String(s), severityName(s)])], p.get('severity') || '', { id: 'filter-severity' });
  const condition = select([['', 'All'], 'Fired', 'Resolved'], p.get('monitorCondition') || '', { id: 'filter-condition' });
  const userState = select([['', 'All'], 'New', 'Acknowledged', 'Closed'], p.get('userState') || '', { id: 'filter-user-state' });
  const since = select(SINCE, p.get('time') || '', { id: 'filter-time' });
  const body = h('div', { id: 'alerts' });
  const filters = h('form', { class: 'filters row', 'aria-label': 'Filter alerts', onchange: apply, onsubmit: (ev) => (ev.preventDefault(), apply()) },
    field('Severity', severity), field('Monitor condition', condition), field('User state', userState), field('Fired', since));
  root.append(h('section', { class: 'page alerts' }, header, filters, status, body));

  function apply() {
    const params = { severity: severity.value, monitorCondition: condition.value, userState: userState.value, time: since.value };
    ctx.navigate('/alerts', Object.fromEntries(Object.entries(params).filter(([, v]) => v)));
  }

  const alerts = await loaded(body, () => manage.alerts({
    severity: severity.value,
    monitorCondition: condition.value,
    userState: userState.value,
    since: since.value ? new Date(Date.now() - MS[since.value]).toISOString() : '',
  }));
  if (!alerts) return;
  say(`${alerts.length} alerts.`);
  body.replaceChildren(dataTable('Alerts', [
    ['Severity', (a) => a.severityName],
    ['Alert', (a) => h('a', { href: `#/alerts/${encodeURIComponent(a.id)}`, class: 'alert-link' }, a.title || a.rule)],
    ['Monitor condition', (a) => a.monitorCondition],
    ['User state', (a) => a.userState],
    ['Fired', (a) => when(a.firedTime)],
    ['Dimensions', (a) => dims(a.dimensions)],
  ], alerts, 'No alerts match.'));
}

function dims(d) {
  const entries = Object.entries(d || {});
  return entries.length ? entries.map(([k, v]) => `${k} = ${v}`).join(', ') : '';
}

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

async function detail(root, ctx, id) {
  const { header, status, say } = pageHeader('Alert');
  const body = h('div', { id: 'alert-detail' });
  root.append(h('section', { class: 'page alert' }, h('p', {}, h('a', { href: '#/alerts' }, 'All alerts')), header, status, body));
  const title = header.querySelector('h1');

  async function draw() {
    const a = await loaded(body, () => manage.alert(id));
    if (!a) return;
    title.textContent = `${a.severityName} ${a.title || a.rule}`;
    const v = a.values || {};
    const measured = v.timeAggregation === 'Count' || !v.metricMeasureColumn ? 'Count of rows' : `${v.timeAggregation} of ${v.metricMeasureColumn}`;
    const canAct = api.hasRole('contributor');
    const window = a.windowStart && a.windowEnd ? `${a.windowStart}/${a.windowEnd}` : null;
    body.replaceChildren(
      a.description ? h('p', { class: 'description' }, a.description) : null,
      h('div', { class: 'buttons' },
        window ? logsLink('Open the query over the alert\u2019s window in Logs', a.query, window, { id: 'alert-open-logs', class: 'button' }) : null,
        canAct ? h('button', { type: 'button', id: 'alert-ack', disabled: a.userState !== 'New', onclick: () => act('acknowledge') }, 'Acknowledge') : null,
        canAct ? h('button', { type: 'button', id: 'alert-close', disabled: a.userState === 'Closed', onclick: () => act('close') }, 'Close') : null),
      h('h2', {}, 'Essentials'),
      facts([
        ['Rule', a.rule],
        ['Severity', a.severityName],
        ['Monitor condition', a.monitorCondition],
        ['User state', a.userState],
        ['Fired', when(a.firedTime)],
        ['Resolved', when(a.resolvedTime)],
        ['Window', `${when(a.windowStart)} to ${when(a.windowEnd)}`],
        ['Action groups', (a.actionGroups || []).join(', ')],
      ]),
      h('h2', {}, 'Why it fired'),
      h('dl', { class: 'facts', id: 'alert-values' },
        h('dt', {}, 'Measure'), h('dd', {}, measured),
        h('dt', {}, 'Value'), h('dd', { id: 'alert-metric-value' }, String(v.metricValue)),
        h('dt', {}, 'Condition'), h('dd', {}, `${v.operator} ${v.threshold}`)),
      h('h2', {}, 'Dimensions'),
      dataTable('Dimensions', [['Name', ([k]) => k], ['Value', ([, val]) => String(val)]], Object.entries(a.dimensions || {}), 'No dimensions.'),
      h('h2', {}, 'Query'),
      h('pre', { class: 'code', id: 'alert-query' }, a.query),
      h('h2', {}, 'History'),
      dataTable('History', [
        ['Time', (e) => when(e.time)],
        ['Change', (e) => e.change],
        ['From', (e) => e.from || ''],
        ['To', (e) => e.to],
        ['By', (e) => e.by || ''],
      ], a.history || [], 'No history.'),
    );
    say(`${a.monitorCondition}, ${a.userState}.`);
  }

  async function act(action) {
    if ((await attempt(() => manage.alertState(id, action))) !== null) {
      await draw();
      say(action === 'close' ? 'Closed.' : 'Acknowledged.');
    }
  }
  try {
    await draw();
  } catch (e) {
    body.replaceChildren(h('p', { class: 'error' }, errorText(e)));
  }
}
