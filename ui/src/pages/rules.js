// Alert rules: the list, enable or disable, delete, and open (the rule editor).
import { h } from '../dom.js';
import { attempt, dataTable, loaded, manage, pageHeader, severityName } from '../components/kit.js';
import * as api from '../api.js';

export async function render(root, ctx) {
  const { header, status, say } = pageHeader('Alert rules', h('a', { href: '#/rules/new', class: 'button', id: 'new-rule' }, 'New alert rule'));
  const body = h('div', { id: 'rules' });
  root.append(h('section', { class: 'page rules' }, header, status, body));
  const canEdit = api.hasRole('contributor');

  async function draw() {
    const rules = await loaded(body, manage.rules);
    if (!rules) return;
    say(`${rules.length} alert rules.`);
    body.replaceChildren(
      dataTable('Alert rules', [
        ['Name', (r) => h('a', { href: `#/rules/new?${new URLSearchParams({ name: r.name })}`, class: 'rule-link' }, r.name)],
        ['Display name', (r) => r.displayName],
        ['Severity', (r) => severityName(r.severity)],
        ['Frequency', (r) => `${r.evaluationFrequency} / ${r.windowSize}`],
        ['Action groups', (r) => r.actionGroups.join(', ')],
        ['Enabled', (r) => {
          if (!canEdit) return r.enabled ? 'Yes' : 'No';
          const box = h('input', { type: 'checkbox', checked: r.enabled, id: `enable-${r.name}`, 'aria-label': `Enabled: ${r.name}` });
          box.addEventListener('change', async () => {
            const ok = await attempt(() => manage.enableRule(r.name, box.checked), `${box.checked ? 'Enabled' : 'Disabled'} ${r.name}.`);
            if (!ok) box.checked = !box.checked;
          });
          return box;
        }],
        ['', (r) => canEdit
          ? h('button', { type: 'button', class: 'delete', 'aria-label': `Delete ${r.name}`, onclick: async () => {
            if (!window.confirm(`Delete the alert rule ${r.name}? Its alerts stay.`)) return;
            if ((await attempt(() => manage.deleteRule(r.name), `Deleted ${r.name}.`)) !== null) draw();
          } }, 'Delete')
          : ''],
      ], rules, 'No alert rules yet: write a query in Logs and choose "New alert rule".'),
    );
  }
  await draw();
  const saved = ctx.params.get('saved');
  if (saved) say(`Saved alert rule ${saved}.`);
}
