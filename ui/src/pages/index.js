// Every page of the UI, one module each (loaded when first shown). Add a page here: path,
// title (the nav label), load, and the least role that may see it.
import { register } from '../router.js';

register({ path: '/login', title: 'Sign in', load: () => import('./login.js'), nav: false, public: true });
register({ path: '/logs', title: 'Logs', load: () => import('./logs.js') });
register({ path: '/alerts', title: 'Alerts', load: () => import('./alerts.js') });
register({ path: '/rules', title: 'Alert rules', load: () => import('./rules.js') });
register({ path: '/rules/new', title: 'New alert rule', load: () => import('./rule-edit.js'), nav: false, role: 'contributor' });
register({ path: '/action-groups', title: 'Action groups', load: () => import('./action-groups.js') });
register({ path: '/detections', title: 'Detections', load: () => import('./detections.js') });
register({ path: '/workbooks', title: 'Workbooks', load: () => import('./workbooks.js') });
register({ path: '/health', title: 'Ingestion health', load: () => import('./health.js') });
register({ path: '/outbox', title: 'Outbox', load: () => import('./outbox.js') });
register({ path: '/retention', title: 'Retention', load: () => import('./retention.js'), role: 'admin' });
