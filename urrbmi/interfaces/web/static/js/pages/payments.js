// Payments: upload a channel file, the reconciliation, held payments (wrong amount) and duplicates.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Field, Table, PagedTable, CampaignPicker, useApi, yuan } from '../ui.js';

export function PaymentsPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  async function upload(e) {
    e.preventDefault(); setError(null); setBusy(true);
    const form = new FormData(e.target);
    form.set('campaign_id', String(campaign));
    try { setResult(await api(EP.paymentImport, { method: 'POST', form })); setTick(tick + 1); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<div class="page" data-testid="page-payments">
    <${CampaignPicker} value=${campaign} onChange=${setCampaign} />
    ${campaign && can(user, 'payment.import') && html`<${Section} title="payments.upload">
      <form class="grid2" onSubmit=${upload} data-testid="payment-file-form">
        <${Field} label="payment.channel"><select name="channel">${['wechat', 'alipay', 'unionpay', 'bank', 'tax'].map((c) => html`<option value=${c}>${t('channel.' + c)}</option>`)}</select><//>
        <${Field} label="imports.file"><input name="file" type="file" required accept=".csv,.xlsx" /><//>
        <div class="field"><span> </span><button class="primary" type="submit" disabled=${busy}>${t('payments.import')}</button></div>
      </form>
      <${Notice} error=${error} />
      ${result && html`<${Notice} kind="ok">${t('payments.imported', { lines: result.lines ?? '—', accepted: (result.status || {}).accepted ?? 0,
        held: (result.status || {}).held ?? 0, replayed: result.replayed ?? 0 })}<//>`}
    <//>`}
    ${campaign && html`<${Reconcile} campaign=${campaign} tick=${tick} />
      <${Held} campaign=${campaign} tick=${tick} user=${user} />
      <${Duplicates} campaign=${campaign} />`}
  </div>`;
}

function Reconcile({ campaign, tick }) {
  const [data, error] = useApi(EP.reconcile(campaign), null, [tick]);
  const rows = (data && (data.items || data.channels)) || [];
  return html`<${Section} title="payments.reconcile" testid="reconcile">
    <${Notice} error=${error} />
    <${Table} columns=${[
      { key: 'channel', label: 'payment.channel', render: (r) => t('channel.' + r.channel) },
      { key: 'status', label: 'payment.status', render: (r) => r.status ? t('payment.status.' + r.status) : '—' },
      { key: 'count', label: 'payments.count', num: true },
      { key: 'amount', label: 'payment.amount', num: true, render: (r) => yuan(r.amount) },
    ]} rows=${rows} />
  <//>`;
}

function Held({ campaign, tick, user }) {
  const [error, setError] = useState(null);
  const [n, setN] = useState(0);
  async function accept(id) {
    setError(null);
    try { await api(EP.acceptHeld(id), { method: 'POST' }); setN(n + 1); } catch (err) { setError(err); }
  }
  return html`<${Section} title="payments.held" testid="held">
    <${Notice} error=${error} />
    <${PagedTable} path=${EP.held(campaign)} query=${{ tick, n }} columns=${[
      { key: 'external_ref', label: 'payment.external_ref' },
      { key: 'id_number', label: 'resident.id_number' },
      { key: 'amount', label: 'payment.amount', num: true, render: (r) => yuan(r.amount) },
      { key: 'due', label: 'resident.amount_due', num: true, render: (r) => yuan(r.due ?? r.amount_due) },
      { key: 'hold_reason', label: 'payments.reason' },
      { key: 'id', label: 'common.actions', render: (r) => can(user, 'payment.cancel')
        ? html`<button type="button" onClick=${() => accept(r.id)}>${t('payments.accept')}</button>` : '—' },
    ]} />
  <//>`;
}

function Duplicates({ campaign }) {
  return html`<${Section} title="payments.duplicates" testid="duplicates">
    <${PagedTable} path=${EP.duplicates(campaign)} columns=${[
      { key: 'id_number', label: 'resident.id_number' },
      { key: 'name', label: 'resident.name' },
      { key: 'kind', label: 'payments.dup_kind' },
      { key: 'detail', label: 'audit.detail', render: (r) => typeof r.detail === 'object' ? JSON.stringify(r.detail) : (r.detail || '—') },
    ]} />
  <//>`;
}
