// Payments: upload a channel file, the reconciliation (accepted by channel, still unpaid), and the
// payments held for review: amount mismatches, repeated payments (already paid), unmatched lines.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Field, Table, PagedTable, CampaignPicker, useApi, yuan, pct } from '../ui.js';
import { RefundButton, PendingRefunds } from './refunds.js';

const SHOWN = 100; // held lists are short in practice; the first rows are shown, the count says how many

export function PaymentsPage({ user }) {
  const [campaign, setCampaign] = useState(null);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  async function upload(e) {
    e.preventDefault(); setError(null); setResult(null); setBusy(true);
    try {
      setResult(await api(EP.paymentImport(campaign), { method: 'POST', form: new FormData(e.target) }));
      setTick(tick + 1);
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<div class="page" data-testid="page-payments">
    <${CampaignPicker} value=${campaign} onChange=${setCampaign} />
    ${campaign && can(user, 'payment.import') && html`<${Section} title="payments.upload">
      <form class="grid2" onSubmit=${upload} data-testid="payment-file-form">
        <${Field} label="payment.channel"><select name="channel">${['wechat', 'alipay', 'unionpay', 'bank', 'tax'].map((c) => html`<option value=${c}>${t('channel.' + c)}</option>`)}</select><//>
        <${Field} label="imports.file"><input name="file" type="file" required accept=".csv,.txt" /><//>
        <div class="field"><span> </span><button class="primary" type="submit" disabled=${busy}>${t('payments.import')}</button></div>
      </form>
      <p class="muted small">${t('payments.file_hint')}</p>
      <${Notice} error=${error} />
      ${result && html`<${Notice} kind="ok">${t('payments.imported', { lines: result.lines, accepted: (result.status || {}).accepted || 0,
        held: (result.status || {}).held || 0, replayed: result.replayed || 0 })}<//>`}
    <//>`}
    ${campaign && html`<${Reconcile} campaign=${campaign} tick=${tick} user=${user} onRefund=${() => setTick(tick + 1)} />
      <${PendingRefunds} campaign=${campaign} user=${user} tick=${tick} />
      <${Section} title="payments.dup_enrollments" testid="duplicates">
        <${PagedTable} path=${EP.duplicates(campaign)} columns=${[
          { key: 'id_number', label: 'resident.id_number' },
          { key: 'name', label: 'resident.name' },
          { key: 'employee_insured', label: 'payments.employee_insured' },
          { key: 'enrollments', label: 'payments.enrollments', render: (r) => (r.enrollments || []).map((e) => `${e.region}·${e.insurance_type}·${e.source}`).join('；') },
        ]} />
      <//>`}
  </div>`;
}

export function LedgerSummary({ data }) {
  const paid = data.matched.count;
  const unpaid = data.unpaid.count;
  return html`<div class="stats" data-testid="ledger-summary">
    <div><b data-testid="ledger-paid">${paid}</b><span>${t('payments.paid_count')}</span></div>
    <div><b>${yuan(data.matched.amount)}</b><span>${t('payments.paid_amount')}</span></div>
    <div><b data-testid="ledger-unpaid">${unpaid}</b><span>${t('payments.unpaid_count')}</span></div>
    <div><b>${pct(paid + unpaid ? paid / (paid + unpaid) : null)}</b><span>${t('payments.paid_rate')}</span></div>
  </div>`;
}

function Reconcile({ campaign, tick, user, onRefund }) {
  const [n, setN] = useState(0);
  const [actError, setActError] = useState(null);
  const [data, error] = useApi(EP.reconcile(campaign), null, [tick, n]);
  async function accept(r) {
    // accepting a held payment needs a review note (kept in the audit log)
    const reason = window.prompt(t('payments.accept_reason', { ref: r.external_ref }));
    if (!reason || !reason.trim()) return;
    setActError(null);
    try { await api(EP.acceptHeld(campaign, r.payment), { method: 'POST', body: { reason: reason.trim() } }); setN(n + 1); } catch (e) { setActError(e); }
  }
  const byChannel = data ? Object.entries(data.matched.by_channel || {}).map(([channel, v]) => ({ channel, ...v })) : [];
  const cols = [
    { key: 'external_ref', label: 'payment.external_ref' },
    { key: 'name', label: 'resident.name', render: (r) => r.name || t('payments.unknown_resident') },
    { key: 'id_number', label: 'resident.id_number' },
    { key: 'channel', label: 'payment.channel', render: (r) => t('channel.' + r.channel) },
    { key: 'amount', label: 'payment.amount', num: true, render: (r) => yuan(r.amount) },
    { key: 'due', label: 'resident.amount_due', num: true, render: (r) => yuan(r.due) },
    { key: 'paid_on', label: 'payment.paid_on' },
    { key: 'reason_zh', label: 'payments.reason', render: (r) => r.reason ? t('hold.' + r.reason) : '—' },
  ];
  // accept (a held amount reviewed) and give back (退费, behind a confirmation: issue 15.4)
  const actions = (acceptable) => ({ key: 'payment', label: 'common.actions', render: (r) => html`<span class="row gap">
    ${acceptable && can(user, 'payment.accept') && html`<button type="button" data-testid=${'accept-' + r.payment} onClick=${() => accept(r)}>${t('payments.accept')}</button>`}
    ${can(user, 'payment.cancel') && html`<${RefundButton} campaign=${campaign} row=${r} onDone=${() => { setN(n + 1); onRefund(); }} />`}</span>` });
  const list = (key, title, acceptable) => html`<${Section} title=${title} testid=${'rec-' + key}>
    ${data[key].length > SHOWN && html`<p class="muted small">${t('payments.first_rows', { shown: SHOWN, total: data[key].length })}</p>`}
    <${Table} columns=${(acceptable && can(user, 'payment.accept')) || can(user, 'payment.cancel') ? [...cols, actions(acceptable)] : cols} rows=${data[key].slice(0, SHOWN)} rowKey="payment" />
  <//>`;
  return html`<div>
    <${Notice} error=${error} />
    <${Notice} error=${actError} />
    ${data && html`<${Section} title="payments.reconcile" testid="reconcile">
        <${LedgerSummary} data=${data} />
        <${Table} columns=${[
          { key: 'channel', label: 'payment.channel', render: (r) => t('channel.' + r.channel) },
          { key: 'count', label: 'payments.count', num: true },
          { key: 'amount', label: 'payment.amount', num: true, render: (r) => yuan(r.amount) },
        ]} rows=${byChannel} />
        <p class="muted small">${t('payments.unpaid_amount', { n: data.unpaid.count, amount: yuan(data.unpaid.amount) })}</p>
      <//>
      ${list('mismatches', 'payments.mismatches', true)}
      ${list('duplicates', 'payments.repeated', false)}
      ${list('unmatched', 'payments.unmatched', false)}
      ${data.other_held.length > 0 && list('other_held', 'payments.other_held', true)}
      <p class="muted small">${t('payments.resolve_hint')}</p>`}
  </div>`;
}
