// Built-in detections: enable or disable each, and set its parameters (break-glass accounts,
// trusted IP ranges, thresholds). Saving compiles the parameterised rule. Above them, the
// workspace's named locations, whose trusted ranges some detections read.
import * as api from '../api.js';
import { errorText, h, toast } from '../dom.js';
import { field, loadError, manage, pageHeader, severityName } from '../components/kit.js';
import { namedLocations } from '../components/named-locations.js';

function text(p, v) {
  return p.type === 'list' ? (v || []).join(', ') : String(v ?? '');
}

function parsed(p, raw) {
  if (p.type === 'list') return raw.split(/[,\n]/).map((x) => x.trim()).filter(Boolean);
  if (p.type === 'int') return Number(raw);
  return raw.trim();
}

function card(d, canEdit) {
  const enabled = h('input', { type: 'checkbox', id: `det-${d.id}-enabled`, checked: d.enabled, disabled: !canEdit });
  const inputs = d.parameters.map((p) => {
    const attrs = { id: `det-${d.id}-${p.name}`, class: 'param', disabled: !canEdit };
    const input = p.type === 'list'
      ? h('textarea', { ...attrs, rows: String(Math.min(4, Math.max(1, (p.value || []).length))) })
      : h('input', { ...attrs, type: p.type === 'int' ? 'number' : 'text' });
    input.value = text(p, p.value);
    const defaultText = text(p, p.default);
    const shown = JSON.stringify(parsed(p, input.value));
    return { p, input, shown, el: field(p.name, input, `${p.description}${p.type === 'list' ? ' (comma-separated)' : ''}. Default: ${defaultText || 'none'}.`) };
  });
  const error = h('div', { class: 'detection-error', role: 'alert' });
  async function save(ev) {
    ev.preventDefault();
    error.replaceChildren();
    // only the parameters changed here: one read from a workspace setting (the trusted named
    // locations) keeps following it unless it was edited
    const parameters = {};
    for (const i of inputs) {
      const value = parsed(i.p, i.input.value);
      if (JSON.stringify(value) !== i.shown) parameters[i.p.name] = value;
    }
    try {
      const out = await manage.putDetection(d.id, { enabled: enabled.checked, parameters });
      for (const i of inputs) {
        const now = out.parameters.find((q) => q.name === i.p.name);
        if (now) i.shown = JSON.stringify(now.value);
      }
      toast(`${out.displayName}: ${out.enabled ? 'enabled' : 'disabled'}, saved.`);
    } catch (e) {
      error.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  }
  return h('form', { class: 'detection card', id: `det-${d.id}`, 'aria-labelledby': `det-${d.id}-title`, onsubmit: save },
    h('h2', { id: `det-${d.id}-title` }, d.displayName),
    h('p', { class: 'meta' }, `${severityName(d.severity)} \u00B7 ${d.techniques.join(', ')} \u00B7 ${d.tactics.join(', ')}`),
    h('p', {}, d.description),
    h('div', { class: 'field checkbox' }, enabled, h('label', { for: enabled.id }, 'Enabled')),
    inputs.map((i) => i.el),
    error,
    canEdit ? h('button', { type: 'submit', class: 'primary', id: `det-${d.id}-save` }, 'Save') : null);
}

export async function render(root) {
  const { header, status, say } = pageHeader('Detections');
  const body = h('div', { id: 'detections', class: 'cards' });
  async function draw() {
    try {
      const found = await manage.detections();
      say(`${found.length} built-in detections, ${found.filter((d) => d.enabled).length} enabled.`);
      body.replaceChildren(...found.map((d) => card(d, api.hasRole('contributor'))));
    } catch (e) {
      body.replaceChildren(loadError(e));
    }
  }
  // a named location saved or deleted re-renders rules: redraw the cards to show their values
  const locations = namedLocations((rules) => (rules.length ? draw() : null));
  root.append(h('section', { class: 'page detections' }, header, status, locations.root,
    h('h2', { class: 'section-title' }, 'Built-in detections'), body));
  await Promise.all([draw(), locations.draw()]);
}
