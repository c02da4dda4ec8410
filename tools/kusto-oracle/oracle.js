#!/usr/bin/env node
// Test oracle: Microsoft's Kusto.Language parser and binder (@kusto/language-service-next).
//
// Reads one JSON request per line on stdin, writes one JSON response per line on stdout.
//   request:  {"id": 1, "query": "T | take 1", "tables": {"T": [["Col", "string"], ...]}, "all": false}
//   response: {"id": 1, "diagnostics": [{"code", "severity", "start", "length", "message"}],
//              "columns": [["Col", "string"], ...] | null}
//          or {"id": 1, "error": "..."} when the request itself cannot be handled.
// Only Error diagnostics are reported unless "all" is true. Offsets count Unicode code points
// (as Python str indexes do), not the UTF-16 units JavaScript uses.
'use strict';

require('@kusto/language-service-next/bridge.js'); // Bridge.NET runtime -> global Bridge
require('@kusto/language-service-next'); // -> global Kusto

const readline = require('readline');

const K = Kusto.Language;
const S = K.Symbols;

const MAX_CACHED_SCHEMAS = 64;
const globalsCache = new Map(); // JSON of the tables object -> GlobalState

function buildGlobals(tables) {
  const symbols = Object.entries(tables).map(([tableName, columns]) => {
    const cols = columns.map(([name, typeName]) => {
      const type = S.ScalarTypes.GetSymbol(typeName);
      if (type === null) throw new Error(`unknown type '${typeName}' for ${tableName}.${name}`);
      return new S.ColumnSymbol(name, type, null, null, null, null);
    });
    return new S.TableSymbol.$ctor4(tableName, cols);
  });
  return K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.ctor('ws', symbols));
}

function globalsFor(tables) {
  if (!tables) return K.GlobalState.Default;
  const key = JSON.stringify(tables);
  let globals = globalsCache.get(key);
  if (globals === undefined) {
    globals = buildGlobals(tables);
    if (globalsCache.size >= MAX_CACHED_SCHEMAS) globalsCache.clear();
    globalsCache.set(key, globals);
  }
  return globals;
}

// Code-point offset of a UTF-16 offset into text.
function codePoints(text, utf16Offset) {
  return Array.from(text.slice(0, utf16Offset)).length;
}

function analyze(request) {
  const query = request.query;
  if (typeof query !== 'string') throw new Error('request has no "query" string');
  const code = K.KustoCode.ParseAndAnalyze(query, globalsFor(request.tables));

  const diagnostics = [];
  const ds = code.GetDiagnostics();
  for (let i = 0; i < ds.Count; i++) {
    const d = ds.getItem(i);
    if (d.Severity !== 'Error' && !request.all) continue;
    const start = codePoints(query, d.Start);
    diagnostics.push({
      code: d.Code,
      severity: d.Severity,
      start,
      length: codePoints(query, d.Start + d.Length) - start,
      message: d.Message,
    });
  }

  let columns = null;
  const result = code.ResultType;
  if (result instanceof S.TableSymbol) {
    columns = [];
    for (let i = 0; i < result.Columns.Count; i++) {
      const c = result.Columns.getItem(i);
      columns.push([c.Name, c.Type.Name]); // Type.Name is already canonical: long, real, ...
    }
  }
  return { id: request.id, diagnostics, columns };
}

function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    return { id: null, error: `bad JSON: ${e.message}` };
  }
  try {
    return analyze(request);
  } catch (e) {
    const message = (e && (e.message || e.Message)) || String(e);
    return { id: request && request.id !== undefined ? request.id : null, error: message };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  process.stdout.write(JSON.stringify(handle(line)) + '\n');
});
