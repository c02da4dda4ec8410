// The local email outbox: notifications kept while no SMTP server is configured.
import { h } from '../dom.js';
import { dataTable, loadError, manage, pageHeader, when } from '../components/kit.js';

export async function render(root) {
  const { header, status, say } = pageHeader('Outbox');
  const body = h('div', { id: 'outbox' });
  root.append(h('section', { class: 'page outbox' }, header,
    h('p', { class: 'note' }, 'Emails are kept here while no SMTP server is configured (kustodian smtp set).'),
    status, body));
  try {
    const mails = await manage.outbox();
    say(`${mails.length} emails.`);
    body.replaceChildren(dataTable('Emails', [
      ['Created', (m) => when(m.created)],
      ['To', (m) => m.to],
      ['Subject', (m) => h('details', { class: 'mail' }, h('summary', {}, m.subject), h('pre', { class: 'mail-body' }, m.body))],
      ['Alert', (m) => (m.alertId ? h('a', { href: `#/alerts/${encodeURIComponent(m.alertId)}` }, m.alertId.slice(0, 8)) : '')],
    ], mails, 'The outbox is empty.'));
  } catch (e) {
    body.replaceChildren(loadError(e));
  }
}
