// Imports: upload a department list, the validation report row by row, the error file, confirm the
// load; the review queue of conflicting records.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP, url } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Field, PagedTable } from '../ui.js';

// List sources as the imports configuration names them (urrbmi/imports/headers.yaml).
const SOURCES = ['minzheng', 'xiangcun', 'canlian', 'tuiyijunren', 'weijian', 'jiaoyu', 'gongan', 'renshe'];

export function ImportsPage({ user }) {
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(null);
  async function upload(e) {
    e.preventDefault(); setError(null); setDone(null); setBusy(true);
    try { setJob(await api(EP.imports, { method: 'POST', form: new FormData(e.target) })); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  async function confirm() {
    setError(null); setBusy(true);
    try { setDone(await api(EP.importConfirm(job.id), { method: 'POST' })); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  const counts = job && (job.counts || job.summary || {});
  return html`<div class="page" data-testid="page-imports">
    ${can(user, 'list.upload') && html`<${Section} title="imports.upload">
      <form class="grid2" onSubmit=${upload} data-testid="import-form">
        <${Field} label="imports.source"><select name="source" data-testid="import-source">${(user.sources && user.sources.length ? user.sources : SOURCES).map((s) => html`<option value=${s}>${t('source.' + s)}</option>`)}</select><//>
        <${Field} label="imports.valid_from"><input name="valid_from" type="date" /><//>
        <${Field} label="imports.file"><input name="file" type="file" required accept=".xlsx,.xls,.csv" data-testid="import-file" /><//>
        <div class="field"><span> </span><button class="primary" type="submit" disabled=${busy} data-testid="import-submit">${t('imports.check')}</button></div>
      </form>
      <p class="muted small">${t('imports.hint')}</p>
      <${Notice} error=${error} />
    <//>`}
    ${job && html`<${Section} title="imports.report" testid="import-report"
        actions=${html`<a class="button" href=${url(EP.importErrors(job.id))} download data-testid="import-errors">${t('imports.error_file')}</a>`}>
      <p data-testid="import-counts">${t('imports.counts', { rows: counts.rows ?? '—', ok: counts.ok ?? '—', errors: counts.errors ?? '—', warnings: counts.warnings ?? '—' })}</p>
      <${PagedTable} path=${EP.importRows(job.id)} columns=${[
        { key: 'row', label: 'imports.row', num: true },
        { key: 'id_number', label: 'resident.id_number' },
        { key: 'name', label: 'resident.name' },
        { key: 'status', label: 'imports.status', render: (r) => t('imports.status.' + r.status) },
        { key: 'message', label: 'imports.message', render: (r) => r.message || (r.messages || []).join('；') || '—' },
      ]} />
      ${!done && html`<button class="primary" type="button" disabled=${busy} onClick=${confirm} data-testid="import-confirm">${t('imports.confirm')}</button>`}
      ${done && html`<${Notice} kind="ok">${t('imports.loaded', { n: done.loaded ?? done.rows ?? '' })}<//>`}
    <//>`}
    ${can(user, 'campaign.manage') && html`<${ReviewQueue} />`}
  </div>`;
}

function ReviewQueue() {
  const [tick, setTick] = useState(0);
  const [error, setError] = useState(null);
  async function resolve(id, decision) {
    setError(null);
    try { await api(EP.reviewResolve(id), { method: 'POST', body: { decision } }); setTick(tick + 1); } catch (err) { setError(err); }
  }
  return html`<${Section} title="imports.review" testid="review-queue">
    <${Notice} error=${error} />
    <${PagedTable} path=${EP.review} query=${{ tick }} columns=${[
      { key: 'source', label: 'imports.source', render: (r) => t('source.' + r.source) },
      { key: 'id_number', label: 'resident.id_number' },
      { key: 'name', label: 'resident.name' },
      { key: 'reason', label: 'imports.conflict' },
      { key: 'id', label: 'common.actions', render: (r) => html`<span class="row gap">
        <button type="button" onClick=${() => resolve(r.id, 'accept')}>${t('imports.accept')}</button>
        <button type="button" onClick=${() => resolve(r.id, 'reject')}>${t('imports.reject')}</button></span>` },
    ]} />
  <//>`;
}
