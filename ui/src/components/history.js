// Query history, kept in the browser's localStorage per workspace (the newest first).
const LIMIT = 50;

const key = (workspaceId) => `kustodian.history.${workspaceId}`;

export function readHistory(workspaceId) {
  try {
    const items = JSON.parse(localStorage.getItem(key(workspaceId)) || '[]');
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

/** Adds a run query (the same text moves to the top). */
export function remember(workspaceId, query, timespan) {
  const items = readHistory(workspaceId).filter((i) => i.query !== query);
  items.unshift({ query, timespan, at: new Date().toISOString() });
  localStorage.setItem(key(workspaceId), JSON.stringify(items.slice(0, LIMIT)));
}

export function clearHistory(workspaceId) {
  localStorage.removeItem(key(workspaceId));
}
