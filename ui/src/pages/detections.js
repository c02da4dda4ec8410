// Built-in detections: enable or disable each, and set its parameters (break-glass accounts,
// trusted named locations and IP ranges, thresholds). Saving compiles the parameterised rule.
import * as api from '../api.js';
import { errorText, h, toast } from '../dom.js';
import { field, loadError, manage, pageHeader, severityName } from '../components/kit.js';

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
    return { p, input, el: field(p.name, input, `${p.description}${p.type === 'list' ? ' (comma-separated)' : ''}. Default: ${defaultText || 'none'}.`) };
  });
  const error = h('div', { class: 'detection-error', role: 'alert' });
  async function save(ev) {
    ev.preventDefault();
    error.replaceChildren();
    const parameters = {};
    for (const { p, input } of inputs) parameters[p.name] = parsed(p, input.value);
    try {
      const out = await manage.putDetection(d.id, { enabled: enabled.checked, parameters });
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
  root.append(h('section', { class: 'page detections' }, header, status, body));
  try {
    const found = await manage.detections();
    say(`${found.length} built-in detections, ${found.filter((d) => d.enabled).length} enabled.`);
    body.replaceChildren(...found.map((d) => card(d, api.hasRole('contributor'))));
  } catch (e) {
    body.replaceChildren(loadError(e));
  }
}
