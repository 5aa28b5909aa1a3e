// 医保电子凭证 activation (issue 15 item 2): officers import the platform's activation lists (ID
// number and date; bad rows are listed with their row numbers) and see the activation rate by
// village or town beside enrollment.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Table, useApi, pct } from '../ui.js';
import { FW } from './agent.js';

export function ActivationPage({ user }) {
  const [tick, setTick] = useState(0);
  return html`<div class="page" data-testid="page-activation">
    ${can(user, 'activation.import') && html`<${ImportForm} onDone=${() => setTick(tick + 1)} />`}
    ${can(user, 'campaign.read') && html`<${Rates} key=${tick} />`}
  </div>`;
}

function ImportForm({ onDone }) {
  const [file, setFile] = useState(null);
  const [res, setRes] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault(); setBusy(true); setError(null); setRes(null);
    const form = new FormData();
    form.append('file', file);
    try { setRes(await api(FW.activationImport, { method: 'POST', form })); onDone(); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<${Section} title="act.import" testid="act-import">
    <p class="muted small">${t('act.import_hint')}</p>
    <form class="row gap" onSubmit=${submit}>
      <input type="file" name="file" required accept=".csv,.xlsx,.xls,.txt" data-testid="act-file" onChange=${(e) => setFile(e.target.files[0])} />
      <button type="submit" class="primary" disabled=${busy || !file} data-testid="act-submit">${t('act.import_btn')}</button>
    </form>
    <${Notice} error=${error} />
    ${res && html`<div data-testid="act-result">
      <div class="stats">
        <div><b>${res.rows}</b><span>${t('act.rows')}</span></div>
        <div><b>${res.recorded}</b><span>${t('act.recorded')}</span></div>
        <div><b>${res.earlier}</b><span>${t('act.earlier')}</span></div>
        <div><b>${res.unchanged}</b><span>${t('act.unchanged')}</span></div>
        <div><b>${res.bad_total}</b><span>${t('act.bad')}</span></div>
      </div>
      ${res.bad.length > 0 && html`<h3>${t('act.bad_rows')}</h3><${Table} testid="act-bad" columns=${[
        { key: 'row', label: 'act.row', num: true },
        { key: 'reason', label: 'act.reason' },
      ]} rows=${res.bad} />`}
    </div>`}
  <//>`;
}

function Rates() {
  const [level, setLevel] = useState('village');
  const [data, error, loading] = useApi(FW.activation, { level });
  const rows = data ? [...data.rows, ...(data.total ? [data.total] : [])] : [];
  return html`<${Section} title="act.rates" testid="act-rates" actions=${html`<label class="field inline"><span>${t('reports.level')}</span>
      <select value=${level} data-testid="act-level" onChange=${(e) => setLevel(e.target.value)}>
        <option value="village">${t('level.village')}</option><option value="town">${t('level.town')}</option>
      </select></label>`}>
    <${Notice} error=${error} />
    ${data && html`<p class="muted small">${t('act.rates_hint', { on: data.on })}</p>`}
    <${Table} columns=${[
      { key: 'name', label: 'act.unit' },
      { key: 'registry', label: 'act.registry', num: true },
      { key: 'enrolled', label: 'act.enrolled', num: true },
      { key: 'enrollment_rate', label: 'act.enrollment_rate', num: true, render: (r) => pct(r.enrollment_rate) },
      { key: 'activated', label: 'act.activated', num: true },
      { key: 'activation_rate', label: 'act.activation_rate', num: true, render: (r) => pct(r.activation_rate) },
    ]} rows=${rows} empty=${loading ? t('common.loading') : t('common.empty')} />
  <//>`;
}
