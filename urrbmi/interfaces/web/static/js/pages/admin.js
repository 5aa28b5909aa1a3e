// The bureau's pages (issue 15 item 4): user management (create an account with its role and
// region picked town → village, disable behind a confirmation) and the audit log (filters, every
// label in Chinese). Both are thin over the API (users, audit); the server enforces scope.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { ROLE_PERMISSIONS } from '../roles.js';
import { Notice, Section, Field, PagedTable, RegionName } from '../ui.js';
import { RegionPicker, DatePicker, Confirm } from '../pickers.js';

const ROLES = Object.keys(ROLE_PERMISSIONS);

export function UsersPage({ user }) {
  const [tick, setTick] = useState(0);
  const [done, setDone] = useState(null);
  const [disabling, setDisabling] = useState(null);
  return html`<div class="page" data-testid="page-users">
    <${NewUser} user=${user} onDone=${(u) => { setDone(u); setTick(tick + 1); }} />
    ${done && html`<${Notice} kind="ok">${t('users.created', { name: done.username, role: t('role.' + done.role) })}<//>`}
    <${Section} title="users.list" testid="users">
      <${PagedTable} path=${EP.users} query=${{ tick }} rowKey="username" columns=${[
        { key: 'username', label: 'users.username' },
        { key: 'display_name', label: 'users.display_name' },
        { key: 'role', label: 'users.role', render: (r) => t('role.' + r.role) },
        { key: 'region_code', label: 'users.region', render: (r) => html`<${RegionName} code=${r.region_code} />` },
        { key: 'state', label: 'users.state', render: (r) => t(r.disabled ? 'users.disabled' : r.locked ? 'users.locked' : 'users.active') },
        { key: 'actions', label: 'common.actions', render: (r) => !r.disabled && r.username !== user.username
          ? html`<button type="button" data-testid=${'disable-' + r.username} onClick=${() => setDisabling(r)}>${t('users.disable')}</button>` : '—' },
      ]} />
    <//>
    ${disabling && html`<${Confirm} testid="confirm-disable" danger=${true}
      title=${t('users.disable_title', { name: disabling.username })}
      body=${html`<p>${t('users.disable_body', { name: disabling.display_name || disabling.username, role: t('role.' + disabling.role) })}</p>`}
      confirmLabel=${t('users.disable')}
      onConfirm=${() => api(EP.userDisable(disabling.username), { method: 'POST' }).then(() => setTick(tick + 1))}
      onClose=${() => setDisabling(null)} />`}
  </div>`;
}

const EMPTY = { username: '', display_name: '', password: '', role: 'village_agent', region_code: '' };

function NewUser({ user, onDone }) {
  const [f, setF] = useState(EMPTY);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  // where a role works: a village agent in a village, a township officer in a town, others anywhere
  const need = f.role === 'village_agent' ? 'village' : 'any';
  function problem() {
    if (!/^[A-Za-z0-9_.]{1,64}$/.test(f.username)) return 'users.bad_username';
    if (f.password.length < 10) return 'users.bad_password';
    const region = f.region_code || user.region_code;
    if (f.role === 'village_agent' && region.length !== 12) return 'users.need_village';
    if (f.role === 'township_officer' && region.length < 9) return 'users.need_town';
    return null;
  }
  async function submit(e) {
    e.preventDefault(); setError(null);
    const bad = problem();
    if (bad) { setError({ zh: t(bad), en: t(bad) }); return; }
    setBusy(true);
    try {
      const body = { ...f, region_code: f.region_code || user.region_code, display_name: f.display_name.trim() };
      const made = await api(EP.users, { method: 'POST', body });
      setF(EMPTY); onDone(made);
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<form class="card" onSubmit=${submit} data-testid="user-form" novalidate>
    <h2>${t('users.new')}</h2>
    <div class="grid2">
      <${Field} label="users.username"><input data-testid="user-username" autocomplete="off" value=${f.username} onInput=${set('username')} /><//>
      <${Field} label="users.display_name"><input data-testid="user-display" value=${f.display_name} onInput=${set('display_name')} /><//>
      <${Field} label="users.password"><input data-testid="user-password" type="password" autocomplete="new-password" value=${f.password} onInput=${set('password')} /><//>
      <${Field} label="users.role"><select data-testid="user-role" value=${f.role} onChange=${set('role')}>
        ${ROLES.map((r) => html`<option value=${r}>${t('role.' + r)}</option>`)}</select><//>
    </div>
    <${RegionPicker} user=${user} value=${f.region_code} need=${need} onChange=${(code) => setF({ ...f, region_code: code })} testid="user-region" />
    <p class="muted small">${t('users.hint')}</p>
    <${Notice} error=${error} />
    <div class="action-bar"><button class="primary" type="submit" disabled=${busy} data-testid="user-submit">${t('users.create')}</button></div>
  </form>`;
}

// The tables the audit log names, in Chinese (an unknown one is shown as 其他记录).
const TABLES = ['residents', 'payments', 'enrollments', 'refunds', 'campaigns', 'users', 'regions', 'assessments',
  'memberships', 'import_batches', 'review_items', 'cash_handovers', 'target_sets', 'receipts', 'api_sessions', 'policies'];
const ACTIONS = ['insert', 'update', 'delete', 'cancel', 'accept', 'export', 'login', 'approve', 'reject', 'disable'];

function label(prefix, code, other) { const k = prefix + code; const s = t(k); return s === k ? t(other) : s; }

// What a row changed, as 字段：旧值 → 新值 lines for the fields that have a Chinese label; values
// that are codes (ASCII words such as a status, a source list or a policy id) shown by their label
// or as 代码值; fields without a label counted, not named (issue 15.5: no raw code on a page).
const CODE_LIKE = /^[\x20-\x7E]*[a-z][\x20-\x7E]*$/;
function hasLabel(key) { return t(key) !== key; }
function changes(row) {
  const keys = [...new Set([...Object.keys(row.old || {}), ...Object.keys(row.new || {})])];
  const show = (v) => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
    if (typeof v === 'object') return t('audit.object_value');
    const s = String(v);
    if (CODE_LIKE.test(s)) return hasLabel('audit.value.' + s) ? t('audit.value.' + s) : t('audit.code_value');
    return s;
  };
  const named = keys.filter((k) => hasLabel('field.' + k));
  const others = keys.length - named.length;
  return [
    ...named.slice(0, 6).map((k) => {
      const before = row.old && k in row.old ? show(row.old[k]) : null;
      const after = row.new && k in row.new ? show(row.new[k]) : null;
      return html`<div>${t('field.' + k)}：${before !== null && after !== null ? `${before} → ${after}` : (after ?? before)}</div>`;
    }),
    others > 0 ? html`<div class="muted">${t('audit.other_fields', { n: others })}</div>` : null,
  ];
}

// A row's key: numbers and masked IDs as they are; a user's log-in name; other codes by label.
function rowKey(r) {
  const s = String(r.row_key || '');
  return r.table === 'users' || !CODE_LIKE.test(s) ? s : t('audit.code_value');
}

export function AuditPage() {
  const [actor, setActor] = useState('');
  const [table, setTable] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const query = { actor: actor.trim() || undefined, table: table || undefined,
    since: since ? since + 'T00:00:00+08:00' : undefined, until: until ? until + 'T23:59:59+08:00' : undefined };
  return html`<div class="page" data-testid="page-audit">
    <${Section} title="audit.filters">
      <div class="grid2">
        <${Field} label="audit.actor"><input data-testid="audit-actor" value=${actor} onChange=${(e) => setActor(e.target.value)} /><//>
        <${Field} label="audit.table"><select data-testid="audit-table" value=${table} onChange=${(e) => setTable(e.target.value)}>
          <option value="">${t('audit.all_tables')}</option>
          ${TABLES.map((x) => html`<option value=${x}>${label('audit.table.', x, 'audit.other_table')}</option>`)}</select><//>
        <${DatePicker} label="audit.since" value=${since} onChange=${setSince} testid="audit-since" />
        <${DatePicker} label="audit.until" value=${until} onChange=${setUntil} testid="audit-until" />
      </div>
      <p class="muted small">${t('audit.hint')}</p>
    <//>
    <${Section} title="audit.log" testid="audit-log">
      <${PagedTable} path=${EP.audit} query=${query} rowKey="id" columns=${[
        { key: 'at', label: 'audit.at', render: (r) => String(r.at).replace('T', ' ').slice(0, 19) },
        { key: 'actor', label: 'audit.actor', render: (r) => String(r.actor).replace(/^api:/, '') },
        { key: 'table', label: 'audit.table', render: (r) => label('audit.table.', r.table, 'audit.other_table') },
        { key: 'row_key', label: 'audit.row', render: rowKey },
        { key: 'action', label: 'audit.action', render: (r) => label('audit.action.', r.action, 'audit.other_action') },
        { key: 'change', label: 'audit.change', render: (r) => html`<div class="small">${changes(r)}</div>` },
      ]} />
    <//>
  </div>`;
}

export { ACTIONS as AUDIT_ACTIONS, TABLES as AUDIT_TABLES };
