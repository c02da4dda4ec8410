// The KQL editor: Monaco with @kusto/monaco-kusto (IntelliSense, diagnostics as you type,
// formatting) fed the workspace schema from the query API's metadata. Loaded lazily, with the
// Logs page, so the sign-in page stays small.
import * as monaco from 'monaco-editor/esm/vs/editor/editor.api';
import 'monaco-editor/esm/vs/editor/editor.all';
import { getKustoWorker, kustoDefaults } from '@kusto/monaco-kusto';
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker?worker';
import KustoWorker from '@kusto/monaco-kusto/release/esm/kusto.worker?worker';

self.MonacoEnvironment = {
  getWorker: (_, label) => (label === 'kusto' ? new KustoWorker() : new EditorWorker()),
};

// Format as Log Analytics does: each pipe on its own line (the default, 'Smart', keeps short
// queries on one line)
kustoDefaults.setLanguageSettings({
  ...kustoDefaults.languageSettings,
  formatter: { indentationSize: 4, pipeOperatorStyle: 'NewLine' },
});

// Kusto type -> the .NET type name the language service expects in a "show schema" document
const DOTNET = {
  bool: 'System.SByte',
  datetime: 'System.DateTime',
  decimal: 'System.Data.SqlTypes.SqlDecimal',
  dynamic: 'System.Object',
  guid: 'System.Guid',
  int: 'System.Int32',
  long: 'System.Int64',
  real: 'System.Double',
  string: 'System.String',
  timespan: 'System.TimeSpan',
};

/** The language service's schema document for the query API's metadata. */
export function showSchema(meta, database = 'Workspace') {
  const tables = {};
  for (const t of meta.tables || []) {
    tables[t.name] = {
      Name: t.name,
      EntityType: 'Table',
      OrderedColumns: t.columns.map((c) => ({
        Name: c.name,
        CslType: c.type,
        Type: DOTNET[c.type] || 'System.Object',
      })),
    };
  }
  return {
    Plugins: [],
    Databases: {
      [database]: {
        Name: database,
        Tables: tables,
        Functions: {},
        ExternalTables: {},
        MaterializedViews: {},
        EntityGroups: {},
        MajorVersion: 1,
        MinorVersion: 0,
        DatabaseAccessMode: 'ReadWrite',
      },
    },
  };
}

/**
 * Creates the editor in `container`.
 * @returns {{editor, monaco, getValue, setValue, insert, format, setSchema, dispose}}
 */
export function createEditor(container, { value = '', onRun, label = 'KQL query' } = {}) {
  const model = monaco.editor.createModel(value, 'kusto');
  const editor = monaco.editor.create(container, {
    model,
    theme: 'kusto-light',
    automaticLayout: true,
    minimap: { enabled: false },
    fontSize: 14,
    scrollBeyondLastLine: false,
    ariaLabel: label,
    fixedOverflowWidgets: true,
    tabFocusMode: false,
  });
  // Shift+Enter runs, as in Log Analytics
  editor.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.Enter, () => onRun && onRun());
  const api = {
    editor,
    monaco,
    getValue: () => model.getValue(),
    setValue: (text) => model.setValue(text),
    insert(text) {
      const sel = editor.getSelection();
      editor.executeEdits('schema', [{ range: sel, text, forceMoveMarkers: true }]);
      editor.focus();
    },
    async format() {
      // the action does nothing while the language service's worker is still starting
      await (await getKustoWorker())(model.uri);
      await editor.getAction('editor.action.formatDocument').run();
    },
    markers: () => monaco.editor.getModelMarkers({ resource: model.uri }),
    /** Underlines the server's diagnostic (1-based line and position), until the next edit. */
    markServerError(message, line, pos) {
      const word = model.getWordAtPosition({ lineNumber: line, column: pos });
      monaco.editor.setModelMarkers(model, 'server', [
        {
          severity: monaco.MarkerSeverity.Error,
          message,
          startLineNumber: line,
          startColumn: pos,
          endLineNumber: line,
          endColumn: word ? word.endColumn : pos + 1,
        },
      ]);
    },
    clearServerError: () => monaco.editor.setModelMarkers(model, 'server', []),
    async setSchema(meta) {
      const worker = await (await getKustoWorker())(model.uri);
      await worker.setSchemaFromShowSchema(showSchema(meta), 'https://kustodian.local', 'Workspace');
    },
    dispose() {
      editor.dispose();
      model.dispose();
    },
  };
  return api;
}
