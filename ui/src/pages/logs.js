// The Logs blade: KQL editor, time range, run (button or Shift+Enter), results grid and chart,
// schema browser, query history (this browser) and saved queries (the server's).
import * as api from '../api.js';
import { errorText, h, toast } from '../dom.js';
import { chart } from '../components/chart.js';
import { createEditor } from '../components/editor.js';
import { downloadCsv, resultGrid } from '../components/grid.js';
import { clearHistory, readHistory, remember } from '../components/history.js';
import { timeRangePicker } from '../components/timerange.js';

const DEFAULT_QUERY = 'SigninLogs\n| summarize count() by bin(TimeGenerated, 1h), ResultType\n| render timechart';

function newId() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function tabs(names, onSelect) {
  const buttons = names.map((name, i) =>
    h('button', {
      type: 'button',
      role: 'tab',
      id: `tab-${name.toLowerCase()}`,
      'aria-controls': `panel-${name.toLowerCase()}`,
      'aria-selected': String(i === 0),
      tabindex: i === 0 ? '0' : '-1',
      onclick: () => select(name),
    }, name),
  );
  function select(name) {
    for (const b of buttons) {
      const on = b.textContent === name;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    onSelect(name);
  }
  const list = h('div', { role: 'tablist', 'aria-label': 'Result views' }, buttons);
  list.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
    const visible = buttons.filter((b) => !b.hidden);
    const at = visible.indexOf(document.activeElement);
    const next = visible[(at + (ev.key === 'ArrowRight' ? 1 : visible.length - 1)) % visible.length];
    next.focus();
    select(next.textContent);
  });
  return { list, buttons, select };
}

export async function render(root, ctx) {
  const session = api.currentSession();
  const ws = session.workspaceId;
  const picker = timeRangePicker();
  const status = h('p', { class: 'status', id: 'query-status', role: 'status', 'aria-live': 'polite' });
  const errorBox = h('div', { class: 'query-error', id: 'query-error', role: 'alert' });
  const resultsPanel = h('div', { role: 'tabpanel', id: 'panel-results', 'aria-labelledby': 'tab-results', tabindex: '0' });
  const chartPanel = h('div', { role: 'tabpanel', id: 'panel-chart', 'aria-labelledby': 'tab-chart', hidden: true, tabindex: '0' });
  const views = tabs(['Results', 'Chart'], (name) => {
    resultsPanel.hidden = name !== 'Results';
    chartPanel.hidden = name !== 'Chart';
  });
  views.buttons[1].hidden = true;
  let last = null; // the last result document
  let loadedSaved = null; // the saved query being edited, to save over it

  const editorBox = h('div', { class: 'editor', id: 'editor' });
  const runButton = h('button', { type: 'button', class: 'primary', id: 'run', onclick: () => run() }, 'Run');
  const csvButton = h('button', { type: 'button', id: 'export-csv', disabled: true, onclick: () => last && downloadCsv(last.tables[0]) }, 'Export CSV');
  const saveName = h('input', { id: 'save-name', type: 'text', placeholder: 'Name', 'aria-label': 'Saved query name' });
  const tablesList = h('div', { class: 'schema', id: 'schema' }, h('p', { class: 'note' }, 'Loading tables\u2026'));
  const savedList = h('ul', { class: 'saved', id: 'saved-queries' });
  const historyList = h('ul', { class: 'history', id: 'history' });

  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Query' },
    runButton,
    picker.root,
    h('button', { type: 'button', id: 'format', onclick: () => editor.format() }, 'Format'),
    h(
      'form',
      { class: 'save', onsubmit: (ev) => (ev.preventDefault(), save()) },
      saveName,
      h('button', { type: 'submit', id: 'save' }, 'Save'),
    ),
    h('button', {
      type: 'button',
      id: 'new-alert-rule',
      onclick: () => ctx.navigate('/rules/new', { query: editor.getValue(), timespan: picker.get(editor.getValue()) || '' }),
    }, 'New alert rule'),
    csvButton,
  );

  const sidebar = h(
    'aside',
    { class: 'sidebar', 'aria-label': 'Tables and queries' },
    h('details', { open: true }, h('summary', {}, 'Tables'), tablesList),
    h('details', { open: true }, h('summary', {}, 'Saved queries'), savedList),
    h(
      'details',
      { open: true },
      h('summary', {}, 'History'),
      historyList,
      h('button', { type: 'button', class: 'link', onclick: () => (clearHistory(ws), drawHistory()) }, 'Clear history'),
    ),
  );

  root.append(
    h(
      'div',
      { class: 'logs' },
      sidebar,
      h(
        'section',
        { class: 'workarea', 'aria-label': 'Query editor and results' },
        h('h1', { class: 'sr-only' }, 'Logs'),
        toolbar,
        editorBox,
        h('p', { class: 'help' }, 'Shift+Enter runs the query.'),
        status,
        errorBox,
        views.list,
        resultsPanel,
        chartPanel,
      ),
    ),
  );

  const initial = ctx.params.get('query') || readHistory(ws)[0]?.query || DEFAULT_QUERY;
  const editor = createEditor(editorBox, { value: initial, onRun: () => run() });
  picker.set(ctx.params.get('timespan') || readHistory(ws)[0]?.timespan);
  picker.update(initial);
  editor.editor.onDidChangeModelContent(() => {
    picker.update(editor.getValue());
    editor.clearServerError();
  });
  window.kustodianEditor = editor; // for tests and the browser console

  function use(query, timespan) {
    editor.setValue(query);
    picker.set(timespan);
    picker.update(query);
    editor.editor.focus();
  }

  async function run() {
    const text = editor.getValue();
    errorBox.replaceChildren();
    let timespan;
    try {
      timespan = picker.get(text);
    } catch (e) {
      errorBox.append(h('p', {}, e.message));
      return;
    }
    status.textContent = 'Running\u2026';
    runButton.disabled = true;
    root.setAttribute('aria-busy', 'true');
    const started = performance.now();
    try {
      last = await api.runQuery(text, timespan);
      remember(ws, text, picker.value() === 'custom' ? timespan : picker.value());
      drawHistory();
      show(last, performance.now() - started);
    } catch (e) {
      showError(e);
      status.textContent = 'The query failed.';
    } finally {
      runButton.disabled = false;
      root.removeAttribute('aria-busy');
    }
  }

  function show(doc, ms) {
    const table = doc.tables[0];
    resultsPanel.replaceChildren(resultGrid(table));
    csvButton.disabled = false;
    const partial = doc.error ? ` Partial result: ${doc.error.message}` : '';
    status.textContent = `${table.rows.length} rows in ${(ms / 1000).toFixed(2)} s.${partial}`;
    if (doc.render) {
      chartPanel.replaceChildren(chart(table, doc.render));
      views.buttons[1].hidden = false;
      views.select('Chart');
    } else {
      chartPanel.replaceChildren();
      views.buttons[1].hidden = true;
      views.select('Results');
    }
  }

  function showError(e) {
    const inner = e.body?.error?.innererror?.innererror || e.body?.error?.innererror;
    if (inner && inner.line && inner.pos) editor.markServerError(inner.message, inner.line, inner.pos);
    errorBox.replaceChildren(
      h('p', { class: 'error' }, errorText(e)),
      inner ? h('p', { class: 'error-detail' }, inner.message, inner.hint ? ` ${inner.hint}` : '') : null,
    );
  }

  function drawHistory() {
    const items = readHistory(ws);
    historyList.replaceChildren(
      ...(items.length ? items : []).map((i) =>
        h('li', {}, h('button', { type: 'button', class: 'query-link', title: i.query, onclick: () => use(i.query, i.timespan) }, i.query.replace(/\s+/g, ' ').slice(0, 140))),
      ),
    );
    if (!items.length) historyList.append(h('li', { class: 'note' }, 'No queries run yet.'));
  }

  async function drawSaved() {
    try {
      const items = await api.savedQueries();
      savedList.replaceChildren(
        ...items.map((q) =>
          h(
            'li',
            {},
            h('button', { type: 'button', class: 'query-link', title: q.query, onclick: () => ((loadedSaved = q), (saveName.value = q.name), use(q.query, q.timespan)) }, q.name),
            api.hasRole('contributor')
              ? h('button', { type: 'button', class: 'delete', 'aria-label': `Delete ${q.name}`, onclick: () => remove(q) }, '\u00D7')
              : null,
          ),
        ),
      );
      if (!items.length) savedList.append(h('li', { class: 'note' }, 'No saved queries.'));
    } catch (e) {
      savedList.replaceChildren(h('li', { class: 'error' }, errorText(e)));
    }
  }

  async function save() {
    const name = saveName.value.trim();
    if (!name) {
      toast('Give the query a name to save it.', 'error');
      saveName.focus();
      return;
    }
    const same = loadedSaved && loadedSaved.name === name ? loadedSaved.id : newId();
    try {
      const text = editor.getValue();
      loadedSaved = await api.saveQuery(same, { name, query: text, timespan: picker.value() === 'custom' ? picker.get('') : picker.value() });
      toast(`Saved "${name}".`);
      drawSaved();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async function remove(q) {
    try {
      await api.deleteSavedQuery(q.id);
      drawSaved();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async function drawSchema() {
    try {
      const meta = await api.metadata();
      editor.setSchema(meta).catch((e) => toast(`IntelliSense is unavailable: ${e.message}`, 'error'));
      tablesList.replaceChildren(
        h(
          'ul',
          { class: 'tables' },
          meta.tables.map((t) =>
            h(
              'li',
              {},
              h(
                'details',
                { class: 'table', dataset: { table: t.name } },
                h('summary', {}, t.name),
                h('button', { type: 'button', class: 'insert-table', onclick: () => editor.insert(t.name) }, `Insert ${t.name}`),
                h(
                  'ul',
                  { class: 'columns' },
                  t.columns.map((c) =>
                    h('li', {}, h('button', { type: 'button', class: 'column', title: `Insert ${c.name}`, onclick: () => editor.insert(c.name) }, h('span', {}, c.name), h('span', { class: 'col-type' }, c.type))),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      tablesList.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  }

  drawHistory();
  drawSaved();
  drawSchema();
  editor.editor.focus();
  return () => {
    editor.dispose();
    if (window.kustodianEditor === editor) delete window.kustodianEditor;
  };
}
