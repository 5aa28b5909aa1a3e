// Imports: check a department list (nothing is written: counts, the problem rows page by page, the
// Excel error file to send back), then confirm the load (the same file again, its checksum verified by
// the API; the same file twice changes nothing), its outcome per row status, and the review queue of
// conflicting records (registry vs file versions side by side; keep the registry or take a file row).
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, ApiError, EP, url } from '../api.js';
import { t, getLang } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Field, Table, PagedTable, Download } from '../ui.js';

// List sources as the imports configuration names them (urrbmi/imports/headers.yaml).
const SOURCES = ['minzheng', 'xiangcun', 'canlian', 'tuiyijunren', 'weijian', 'jiaoyu', 'gongan', 'renshe', 'hukou', 'enrollment'];

const COUNTS = ['data_rows', 'valid', 'invalid', 'duplicates', 'conflicts', 'conflict_rows', 'skipped', 'blank'];

export function ImportsPage({ user }) {
  const [checked, setChecked] = useState(null); // {token, sha256, counts, …} of the check
  const [sent, setSent] = useState(null); // the form of the check: the same file and fields are loaded
  const [res, setRes] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  async function check(e) {
    e.preventDefault(); setError(null); setRes(null); setChecked(null); setBusy(true);
    const form = new FormData(e.target);
    if (!form.get('as_of')) form.delete('as_of');
    const body = new FormData();
    for (const k of ['file', 'source', 'as_of']) if (form.has(k)) body.set(k, form.get(k));
    try { setChecked(await api(EP.importCheck, { method: 'POST', form: body, query: { limit: 1 } })); setSent(form); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  async function confirm() {
    setError(null); setBusy(true);
    const form = new FormData();
    for (const [k, v] of sent.entries()) form.set(k, v);
    form.set('sha256', checked.sha256);
    const load = () => api(EP.importList, { method: 'POST', form });
    try {
      let done;
      try { done = await load(); } catch (err) {
        // a replace ending too many identities asks first (409 confirm_removals, the count in its message)
        if (!(err instanceof ApiError && err.code === 'confirm_removals' && window.confirm(getLang() === 'en' ? err.en : err.zh))) throw err;
        form.set('confirm_removals', 'true');
        done = await load();
      }
      setRes(done); setChecked(null); setTick(tick + 1);
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  function cancel() { setChecked(null); setSent(null); setError(null); }
  const sources = user.sources && user.sources.length ? user.sources : SOURCES;
  const reviewer = can(user, 'identity.write');
  return html`<div class="page" data-testid="page-imports">
    ${can(user, 'list.upload') && html`<${Section} title="imports.upload">
      <form class="grid2" onSubmit=${check} data-testid="import-form">
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
    ${checked && html`<${CheckReport} checked=${checked} busy=${busy} onConfirm=${confirm} onCancel=${cancel} />`}
    ${res && html`<${Section} title="imports.result" testid="import-report">
      ${res.already_loaded && html`<${Notice} kind="info">${t('imports.already')}<//>`}
      <p data-testid="import-counts">${t('imports.summary', { file: res.file_name, rows: res.data_rows, review: res.review_items, as_of: res.as_of })}</p>
      <${Table} columns=${[
        { key: 'k', label: 'imports.status', render: (r) => t('imports.row.' + r.k) },
        { key: 'n', label: 'payments.count', num: true },
      ]} rows=${Object.entries(res.rows || {}).map(([k, n]) => ({ k, n }))} />
      ${(Object.keys(res.gained || {}).length > 0 || Object.keys(res.lost || {}).length > 0) && html`<h3>${t('imports.changes')}</h3>
        <${Table} columns=${[
          { key: 'c', label: 'resident.category', render: (r) => { const k = 'category.' + r.c; const s = t(k); return s === k ? '—' : s; } },
          { key: 'g', label: 'imports.gained', num: true },
          { key: 'l', label: 'imports.lost', num: true },
        ]} rows=${[...new Set([...Object.keys(res.gained || {}), ...Object.keys(res.lost || {})])].map((c) => ({ c, g: (res.gained || {})[c] || 0, l: (res.lost || {})[c] || 0 }))} />`}
      ${Object.keys(res.population || {}).length > 0 && html`<h3>${t('imports.population')}</h3>
        <div data-testid="import-population"><${Table} columns=${[
          { key: 'k', label: 'imports.status', render: (r) => t('imports.pop.' + r.k) },
          { key: 'n', label: 'payments.count', num: true },
        ]} rows=${Object.entries(res.population).map(([k, n]) => ({ k, n }))} /></div>`}
      ${res.phones && res.phones.column && html`<h3>${t('imports.phones')}</h3>
        <p data-testid="import-phones">${t('imports.phones_summary', { column: res.phones.column, recorded: res.phones.recorded, updated: res.phones.updated, unchanged: res.phones.unchanged, bad: res.phones.problems_total })}</p>
        ${res.phones.problems_total > 0 && html`<p class="muted small">${t('imports.phone_problems')}</p>
          <div data-testid="import-phone-problems"><${Table} columns=${[
            { key: 'row', label: 'imports.row_no', num: true },
            { key: 'value', label: 'imports.value' },
            { key: 'reason', label: 'imports.reason' },
          ]} rows=${res.phones.problems} /></div>`}`}
      ${res.review_items > 0 && (reviewer
        ? html`<p><a href="#review-queue" data-testid="import-review-link" onClick=${(e) => { e.preventDefault(); document.getElementById('review-queue')?.scrollIntoView(); }}>${t('imports.to_review', { n: res.review_items })}</a></p>`
        : html`<p class="muted small" data-testid="import-review-link">${t('imports.review_by_bureau', { n: res.review_items })}</p>`)}
    <//>`}
    ${reviewer && html`<div id="review-queue"><${ReviewQueue} tick=${tick} /></div>`}
  </div>`;
}

function CheckReport({ checked, busy, onConfirm, onCancel }) {
  const c = checked.counts || {};
  const en = getLang() === 'en';
  const problems = (checked.problems && checked.problems.total) || 0;
  return html`<${Section} title="imports.check_report" testid="import-check">
    <p data-testid="import-check-summary">${t('imports.check_summary', { file: checked.file_name, rows: c.data_rows, valid: c.valid, problems, as_of: checked.as_of })}</p>
    <${Table} columns=${[
      { key: 'k', label: 'imports.item', render: (r) => t('imports.count.' + r.k) },
      { key: 'n', label: 'payments.count', num: true },
    ]} rows=${COUNTS.filter((k) => k in c).map((k) => ({ k, n: c[k] }))} />
    <h3>${t('imports.problems')}</h3>
    <${PagedTable} testid="import-problems" path=${EP.importCheckRows(checked.token)} rowKey=${null} empty=${t('imports.no_problems')} columns=${[
      { key: 'row', label: 'imports.rowno', num: true },
      { key: 'kind', label: 'imports.kind', render: (r) => html`<span class=${'tag ' + r.kind}>${t('imports.kind.' + r.kind)}</span>` },
      { key: 'id_number', label: 'resident.id_number' },
      { key: 'name', label: 'imports.name' },
      { key: 'column', label: 'imports.column' },
      { key: 'value', label: 'imports.value' },
      { key: 'reason', label: 'imports.reason', render: (r) => (en ? r.reason_en : r.reason) },
    ]} />
    <div class="row gap actions">
      <${Download} testid="import-download" href=${url(EP.importCheckReport(checked.token))} label="imports.download_errors" />
      <button class="primary" type="button" disabled=${busy || !c.valid} onClick=${onConfirm} data-testid="import-confirm">${t('imports.confirm', { n: c.valid })}</button>
      <button type="button" disabled=${busy} onClick=${onCancel}>${t('imports.cancel')}</button>
    </div>
    <p class="muted small">${t('imports.confirm_hint')}</p>
  <//>`;
}

const HIDDEN = ['id_number', 'row', 'resident_id', 'batch_id'];
function fieldName(k) {
  const s = t('field.' + k);
  return s === 'field.' + k ? k : s;
}
// A field's value as an officer reads it: identity categories and sex by their Chinese names.
function fieldValue(k, x) {
  if (x === null || x === undefined || x === '') return '—';
  if (k === 'sex') return t({ M: 'resident.male', 1: 'resident.male', F: 'resident.female', 2: 'resident.female' }[x] || String(x));
  if (k === 'category' || k === 'categories') return String(x).split(/[,，、]/).map((c) => label('category.', c.trim())).join('、');
  return String(x);
}
function label(prefix, code) { const s = t(prefix + code); return s === prefix + code ? code : s; }
function versionText(v) {
  if (!v) return '—';
  return Object.entries(v).filter(([k]) => !HIDDEN.includes(k)).map(([k, x]) => `${fieldName(k)}：${fieldValue(k, x)}`).join('；');
}

export function ReviewQueue({ tick }) {
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
