// New alert rule (from the Logs page's query: #/rules/new?query=...&timespan=...) and editing a
// rule (#/rules/new?name=...). The condition's measure and dimensions are chosen from the
// query's result columns; saving compiles the query on the server, whose KQL error is shown
// with its code, line and position. An existing or a new action group, with "test action group".
import * as api from '../api.js';
import { errorText, h, toast } from '../dom.js';
import { groupForm, testResults } from '../components/group-form.js';
import { SEVERITIES, field, manage, pageHeader, removableItem, select, uid } from '../components/kit.js';

const AGGREGATIONS = [
  ['Count', 'Count of rows'],
  ['Average', 'Average'],
  ['Minimum', 'Minimum'],
  ['Maximum', 'Maximum'],
  ['Total', 'Total'],
];
const OPERATORS = [
  ['GreaterThan', 'Greater than'],
  ['GreaterThanOrEqual', 'Greater than or equal to'],
  ['LessThan', 'Less than'],
  ['LessThanOrEqual', 'Less than or equal to'],
  ['Equals', 'Equal to'],
];
const FREQUENCIES = [
  ['PT1M', '1 minute'],
  ['PT5M', '5 minutes'],
  ['PT10M', '10 minutes'],
  ['PT15M', '15 minutes'],
  ['PT30M', '30 minutes'],
  ['PT1H', '1 hour'],
  ['PT6H', '6 hours'],
  ['PT12H', '12 hours'],
  ['P1D', '1 day'],
];
const MUTE = [['', 'Do not mute'], ...FREQUENCIES.slice(1)];
const NUMERIC = new Set(['int', 'long', 'real', 'decimal']);
const SEVERITY_TEXT = ['0 - Critical', '1 - Error', '2 - Warning', '3 - Informational', '4 - Verbose'];

/** The rule name the portal would suggest: lower-case words joined by dashes. */
function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/** The query without a trailing `render`: a rule's condition reads rows, not a chart. */
function withoutRender(text) {
  return text.replace(/\|\s*render\b[^|]*$/, '').trimEnd();
}

/** A KQL error from the server, with the diagnostic's code and position when it has them. */
export function compileError(e) {
  const inner = e.body?.error?.innererror;
  if (!inner) return h('p', { class: 'error' }, errorText(e));
  const where = inner.line ? ` at line ${inner.line}, position ${inner.pos}` : '';
  return h(
    'div',
    { class: 'compile-error' },
    h('p', { class: 'error' }, `${inner.code}${where}: ${e.message}`),
    inner.hint ? h('p', { class: 'error-detail' }, inner.hint) : null,
  );
}

export async function render(root, ctx) {
  const editing = ctx.params.get('name');
  const { header, status, say } = pageHeader(editing ? `Edit alert rule ${editing}` : 'New alert rule');
  const errorBox = h('div', { id: 'rule-error', role: 'alert' });

  // -- scope: the query ---------------------------------------------------------------------
  const query = h('textarea', { id: 'rule-query', rows: '7', spellcheck: 'false', class: 'code' });
  query.value = withoutRender(ctx.params.get('query') || '');
  const timespan = ctx.params.get('timespan') || 'PT24H';
  const columnsNote = h('p', { class: 'note', id: 'rule-columns', 'aria-live': 'polite' });
  let columns = [];

  // -- condition ----------------------------------------------------------------------------
  const aggregation = select(AGGREGATIONS, 'Count', { id: 'rule-aggregation' });
  const measure = select([], null, { id: 'rule-measure' });
  const operator = select(OPERATORS, 'GreaterThan', { id: 'rule-operator' });
  const threshold = h('input', { type: 'number', id: 'rule-threshold', value: '0', step: 'any', required: true });
  const dimensions = h('ul', { class: 'dimensions', id: 'rule-dimensions', 'aria-label': 'Dimensions' });
  const dimensionRows = [];
  const measureField = field('Measure', measure, 'A numeric column of the query\u2019s results.');
  const syncMeasure = () => (measureField.hidden = aggregation.value === 'Count');
  aggregation.addEventListener('change', syncMeasure);
  syncMeasure();

  function columnOptions(sel, wanted, numericOnly) {
    const names = columns.filter((c) => !numericOnly || NUMERIC.has(c.type)).map((c) => [c.name, `${c.name} (${c.type})`]);
    if (wanted && !names.some(([n]) => n === wanted)) names.push([wanted, wanted]);
    sel.replaceChildren(...names.map(([v, t]) => h('option', { value: v }, t)));
    if (wanted) sel.value = wanted;
  }

  function addDimension(item = {}) {
    const n = uid('dim');
    const col = select([], null, { id: `${n}-name`, class: 'dimension-name' });
    columnOptions(col, item.name, false);
    const op = select([['Include', 'Include'], ['Exclude', 'Exclude']], item.operator || 'Include', { id: `${n}-operator`, class: 'dimension-operator' });
    const values = h('input', { type: 'text', id: `${n}-values`, class: 'dimension-values', value: (item.values || ['*']).join(', ') });
    return removableItem(dimensions, dimensionRows, { col, op, values }, 'dimension', 'Remove dimension',
      field('Dimension', col),
      field('Operator', op),
      field('Values', values, 'Comma-separated; * is every value.'));
  }

  // -- evaluation and actions ---------------------------------------------------------------
  const frequency = select(FREQUENCIES, 'PT5M', { id: 'rule-frequency' });
  const windowSize = select(FREQUENCIES, 'PT5M', { id: 'rule-window' });
  const periods = h('input', { type: 'number', id: 'rule-periods', min: '1', max: '6', value: '1' });
  const failing = h('input', { type: 'number', id: 'rule-failing', min: '1', max: '6', value: '1' });
  const mute = select(MUTE, '', { id: 'rule-mute' });
  const autoResolve = h('input', { type: 'checkbox', id: 'rule-auto-resolve', checked: true });

  // -- details ------------------------------------------------------------------------------
  const name = h('input', { type: 'text', id: 'rule-name', required: true, autocomplete: 'off' });
  const displayName = h('input', { type: 'text', id: 'rule-display-name', autocomplete: 'off' });
  const description = h('textarea', { id: 'rule-description', rows: '2' });
  const severity = select(SEVERITIES.map((s) => [String(s), SEVERITY_TEXT[s]]), '3', { id: 'rule-severity' });
  const enabled = h('input', { type: 'checkbox', id: 'rule-enabled', checked: true });
  displayName.addEventListener('input', () => {
    if (!editing && !name.dataset.touched) name.value = slug(displayName.value);
  });
  name.addEventListener('input', () => (name.dataset.touched = '1'));

  // -- action groups ------------------------------------------------------------------------
  const groupList = h('ul', { class: 'group-choices', id: 'rule-groups', 'aria-label': 'Action groups' });
  const chosen = new Set();
  const groupOutcome = h('div', { id: 'group-test-results', 'aria-live': 'polite' });
  const newGroup = groupForm('new-group');
  const newGroupBox = h(
    'details',
    { class: 'new-group', id: 'new-group' },
    h('summary', {}, 'Create an action group'),
    newGroup.root,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'new-group-save', onclick: () => saveGroup() }, 'Save action group'),
    ),
  );

  async function drawGroups() {
    try {
      const groups = await manage.groups();
      groupList.replaceChildren(
        ...groups.map((g) => {
          const box = h('input', { type: 'checkbox', id: uid('use-group'), value: g.name, checked: chosen.has(g.name.toLowerCase()) });
          box.addEventListener('change', () => (box.checked ? chosen.add(g.name.toLowerCase()) : chosen.delete(g.name.toLowerCase())));
          return h(
            'li',
            { class: 'group-choice', dataset: { group: g.name } },
            box,
            h('label', { for: box.id }, g.name),
            h('button', { type: 'button', class: 'test-group', 'aria-label': `Test action group ${g.name}`, onclick: () => test(g.name) }, 'Test action group'),
          );
        }),
      );
      if (!groups.length) groupList.append(h('li', { class: 'note' }, 'No action groups yet: create one below.'));
    } catch (e) {
      groupList.replaceChildren(h('li', { class: 'error' }, errorText(e)));
    }
  }

  async function saveGroup() {
    const doc = newGroup.value();
    if (!doc.name) {
      toast('Give the action group a name.', 'error');
      return;
    }
    try {
      await manage.putGroup(doc.name, doc);
      chosen.add(doc.name.toLowerCase());
      toast(`Saved action group "${doc.name}".`);
      newGroupBox.open = false;
      await drawGroups();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async function test(groupName) {
    groupOutcome.replaceChildren(h('p', { class: 'note' }, `Testing ${groupName}\u2026`));
    try {
      groupOutcome.replaceChildren(h('h3', {}, `Test of ${groupName}`), testResults(await manage.testGroup(groupName)));
    } catch (e) {
      groupOutcome.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  }

  // -- the query's columns ------------------------------------------------------------------
  async function loadColumns() {
    errorBox.replaceChildren();
    columnsNote.textContent = 'Running the query to read its columns\u2026';
    try {
      const doc = await api.runQuery(`${withoutRender(query.value)}\n| take 1`, timespan);
      columns = doc.tables[0].columns;
      columnsNote.textContent = `Result columns: ${columns.map((c) => c.name).join(', ')}`;
      columnOptions(measure, measure.value, true);
      for (const d of dimensionRows) columnOptions(d.col, d.col.value, false);
    } catch (e) {
      columnsNote.textContent = '';
      errorBox.replaceChildren(compileError(e));
    }
  }

  // -- the rule document --------------------------------------------------------------------
  function ruleDoc() {
    const criteria = {
      timeAggregation: aggregation.value,
      operator: operator.value,
      threshold: Number(threshold.value),
      failingPeriods: { numberOfEvaluationPeriods: Number(periods.value), minFailingPeriodsToAlert: Number(failing.value) },
    };
    if (aggregation.value !== 'Count') criteria.metricMeasureColumn = measure.value;
    if (dimensionRows.length) {
      criteria.dimensions = dimensionRows.map((d) => ({
        name: d.col.value,
        operator: d.op.value,
        values: d.values.value.split(',').map((v) => v.trim()).filter(Boolean),
      }));
    }
    const doc = {
      name: name.value.trim(),
      displayName: displayName.value.trim(),
      description: description.value.trim(),
      severity: Number(severity.value),
      enabled: enabled.checked,
      query: query.value,
      evaluationFrequency: frequency.value,
      windowSize: windowSize.value,
      criteria,
      autoMitigate: autoResolve.checked,
      actionGroups: [...chosen],
    };
    if (mute.value) doc.muteActionsDuration = mute.value;
    return doc;
  }

  async function save(ev) {
    ev.preventDefault();
    errorBox.replaceChildren();
    const doc = ruleDoc();
    if (!doc.name) {
      errorBox.replaceChildren(h('p', { class: 'error' }, 'The rule needs a name.'));
      name.focus();
      return;
    }
    say('Saving\u2026');
    try {
      const saved = await manage.putRule(doc.name, doc);
      say(`Saved alert rule ${saved.name}.`);
      toast(`Saved alert rule "${saved.name}".`);
      ctx.navigate('/rules', { saved: saved.name });
    } catch (e) {
      say('The rule was not saved.');
      errorBox.replaceChildren(compileError(e));
    }
  }

  function fill(rule) {
    query.value = rule.query;
    const c = rule.criteria || {};
    aggregation.value = c.timeAggregation || 'Count';
    syncMeasure();
    if (c.metricMeasureColumn) columnOptions(measure, c.metricMeasureColumn, true);
    operator.value = c.operator || 'GreaterThan';
    threshold.value = String(c.threshold ?? 0);
    for (const d of c.dimensions || []) addDimension(d);
    periods.value = String(c.failingPeriods?.numberOfEvaluationPeriods ?? 1);
    failing.value = String(c.failingPeriods?.minFailingPeriodsToAlert ?? 1);
    frequency.value = rule.evaluationFrequency;
    windowSize.value = rule.windowSize;
    mute.value = rule.muteActionsDuration || '';
    autoResolve.checked = rule.autoMitigate !== false;
    name.value = rule.name;
    name.readOnly = true;
    displayName.value = rule.displayName || '';
    description.value = rule.description || '';
    severity.value = String(rule.severity);
    enabled.checked = rule.enabled;
    for (const g of rule.actionGroups || []) chosen.add(String(g).split('/').pop().toLowerCase());
  }

  const form = h(
    'form',
    { class: 'rule-form', id: 'rule-form', onsubmit: save, novalidate: true },
    h('fieldset', {}, h('legend', {}, 'Scope and query'),
      field('Query', query, `Run over ${timespan} to read the result columns.`),
      h('button', { type: 'button', id: 'rule-read-columns', onclick: loadColumns }, 'Read result columns'),
      columnsNote),
    h('fieldset', {}, h('legend', {}, 'Condition'),
      h('div', { class: 'row' }, field('Aggregation', aggregation), measureField, field('Operator', operator), field('Threshold', threshold)),
      h('h3', {}, 'Split by dimensions'),
      dimensions,
      h('button', { type: 'button', id: 'rule-add-dimension', onclick: () => addDimension().col.focus() }, 'Add dimension')),
    h('fieldset', {}, h('legend', {}, 'Evaluation'),
      h('div', { class: 'row' },
        field('Frequency of evaluation', frequency),
        field('Aggregation granularity (window)', windowSize),
        field('Number of periods', periods),
        field('Failing periods to alert', failing))),
    h('fieldset', {}, h('legend', {}, 'Actions'),
      groupList, groupOutcome, newGroupBox,
      h('div', { class: 'row' },
        field('Mute actions for', mute),
        h('div', { class: 'field checkbox' }, autoResolve, h('label', { for: autoResolve.id }, 'Automatically resolve alerts')))),
    h('fieldset', {}, h('legend', {}, 'Details'),
      h('div', { class: 'row' }, field('Alert rule name', name), field('Display name', displayName), field('Severity', severity)),
      field('Description', description),
      h('div', { class: 'field checkbox' }, enabled, h('label', { for: enabled.id }, 'Enable upon creation'))),
    errorBox,
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary', id: 'rule-save' }, 'Save alert rule'),
      h('a', { href: '#/rules' }, 'Cancel')),
  );
  root.append(h('section', { class: 'page rule-edit', 'aria-labelledby': 'page-title' }, header, status, form));
  header.querySelector('h1').id = 'page-title';

  if (editing) {
    try {
      fill(await manage.rule(editing));
    } catch (e) {
      errorBox.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  }
  await drawGroups();
  if (query.value.trim()) await loadColumns();
}
