// Imports: upload a department list (checked, de-duplicated and loaded in one transaction by the
// API; the same file twice changes nothing), its outcome per row status, and the review queue of
// conflicting records (registry vs file versions side by side; keep the registry or take a file row).
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Field, Table, PagedTable } from '../ui.js';

// List sources as the imports configuration names them (urrbmi/imports/headers.yaml).
const SOURCES = ['minzheng', 'xiangcun', 'canlian', 'tuiyijunren', 'weijian', 'jiaoyu', 'gongan', 'renshe'];

export function ImportsPage({ user }) {
  const [res, setRes] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  async function upload(e) {
    e.preventDefault(); setError(null); setRes(null); setBusy(true);
    const form = new FormData(e.target);
    if (!form.get('as_of')) form.delete('as_of');
    try { setRes(await api(EP.importList, { method: 'POST', form })); setTick(tick + 1); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  const sources = user.sources && user.sources.length ? user.sources : SOURCES;
  return html`<div class="page" data-testid="page-imports">
    ${can(user, 'list.upload') && html`<${Section} title="imports.upload">
      <form class="grid2" onSubmit=${upload} data-testid="import-form">
        <${Field} label="imports.source"><select name="source" data-testid="import-source">${sources.map((s) => html`<option value=${s}>${t('source.' + s)}</option>`)}</select><//>
        <${Field} label="imports.valid_from"><input name="as_of" type="date" /><//>
        <${Field} label="imports.mode"><select name="mode">
          <option value="replace">${t('imports.mode.replace')}</option><option value="add">${t('imports.mode.add')}</option></select><//>
        <${Field} label="imports.file"><input name="file" type="file" required accept=".xlsx,.xls,.csv" data-testid="import-file" /><//>
        <div class="field"><span> </span><button class="primary" type="submit" disabled=${busy} data-testid="import-submit">${t('imports.check')}</button></div>
      </form>
      <p class="muted small">${t('imports.hint')}</p>
      <${Notice} error=${error} />
    <//>`}
    ${res && html`<${Section} title="imports.report" testid="import-report">
      ${res.already_loaded && html`<${Notice} kind="info">${t('imports.already')}<//>`}
      <p data-testid="import-counts">${t('imports.summary', { file: res.file_name, rows: res.data_rows, review: res.review_items, as_of: res.as_of })}</p>
      <${Table} columns=${[
        { key: 'k', label: 'imports.status', render: (r) => t('imports.row.' + r.k) },
        { key: 'n', label: 'payments.count', num: true },
      ]} rows=${Object.entries(res.rows || {}).map(([k, n]) => ({ k, n }))} />
      ${(Object.keys(res.gained || {}).length > 0 || Object.keys(res.lost || {}).length > 0) && html`<h3>${t('imports.changes')}</h3>
        <${Table} columns=${[
          { key: 'c', label: 'resident.category' },
          { key: 'g', label: 'imports.gained', num: true },
          { key: 'l', label: 'imports.lost', num: true },
        ]} rows=${[...new Set([...Object.keys(res.gained || {}), ...Object.keys(res.lost || {})])].map((c) => ({ c, g: (res.gained || {})[c] || 0, l: (res.lost || {})[c] || 0 }))} />`}
    <//>`}
    ${can(user, 'identity.write') && html`<${ReviewQueue} tick=${tick} />`}
  </div>`;
}

const HIDDEN = ['id_number', 'row', 'resident_id', 'batch_id'];
function fieldName(k) {
  const s = t('field.' + k);
  return s === 'field.' + k ? k : s;
}
function versionText(v) {
  if (!v) return '—';
  return Object.entries(v).filter(([k]) => !HIDDEN.includes(k)).map(([k, x]) => `${fieldName(k)}：${x ?? '—'}`).join('；');
}

function ReviewQueue({ tick }) {
  const [n, setN] = useState(0);
  const [error, setError] = useState(null);
  async function decide(item, decision, row) {
    setError(null);
    const body = { decision };
    if (row) body.row = row;
    try { await api(EP.reviewDecide(item.id), { method: 'POST', body }); setN(n + 1); } catch (err) { setError(err); }
  }
  return html`<${Section} title="imports.review" testid="review-queue">
    <${Notice} error=${error} />
    <${PagedTable} path=${EP.reviews} query=${{ status: 'open', tick, n }} rowKey="id" columns=${[
      { key: 'source', label: 'imports.source', render: (r) => t('source.' + r.source) },
      { key: 'id_number', label: 'resident.id_number' },
      { key: 'fields', label: 'imports.conflict', render: (r) => (r.fields || []).map(fieldName).join('、') },
      { key: 'registry', label: 'imports.registry', render: (r) => html`<span class="small">${versionText(r.registry)}</span>` },
      { key: 'versions', label: 'imports.versions', render: (r) => html`<div class="small">${(r.versions || []).map((v, i) => html`<div>${i + 1}. ${versionText(v)}</div>`)}</div>` },
      { key: 'id', label: 'common.actions', render: (r) => html`<span class="row gap">
        <button type="button" onClick=${() => decide(r, 'keep_registry')}>${t('imports.keep')}</button>
        ${(r.versions || []).map((v, i) => html`<button type="button" onClick=${() => decide(r, 'take_file', v.row || i + 1)}>${t('imports.take', { n: i + 1 })}</button>`)}</span>` },
    ]} />
  <//>`;
}
