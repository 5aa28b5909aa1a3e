// Giving a held payment back (issue 15 item 4): 退费 on a held row asks for a reason in a confirmation
// that names the resident and the amount, then POST payments/cancel (urrbmi.campaign.payments.
// cancel_payment: the payment becomes 已退费 with a pending refund), and the refunds awaiting
// approval with 审批 for another officer (the refund lifecycle, urrbmi/campaign/refunds.py).
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Section, PagedTable, yuan } from '../ui.js';
import { Confirm } from '../pickers.js';

export function RefundButton({ campaign, row, onDone }) {
  const [open, setOpen] = useState(false);
  const who = row.name || t('payments.unknown_resident');
  return html`<span>
    <button type="button" class="danger-text" data-testid=${'refund-' + row.payment} onClick=${() => setOpen(true)}>${t('refund.give_back')}</button>
    ${open && html`<${Confirm} testid="confirm-refund" danger=${true}
      title=${t('refund.confirm_title')}
      body=${html`<p data-testid="confirm-refund-text">${t('refund.confirm_body', { name: who, id: row.id_number, amount: yuan(row.amount), ref: row.external_ref, channel: t('channel.' + row.channel) })}</p>
        <p class="muted small">${t('refund.confirm_next')}</p>`}
      reasonLabel=${t('refund.reason')} confirmLabel=${t('refund.give_back')}
      onConfirm=${(reason) => api(EP.cancelPayment(campaign), { method: 'POST', body: { channel: row.channel, external_ref: row.external_ref, reason } }).then(onDone)}
      onClose=${() => setOpen(false)} />`}
  </span>`;
}

// Cancelling a payment already accepted (撤销缴费, issue 15): from the resident's statement, behind a
// confirmation that names the resident, receipt, channel and amount and asks for the reason; the
// same POST payments/cancel makes the pending refund. Cash already handed over needs
// payment.cancel_handed_over: the API refuses otherwise and the dialog shows its message.
export function CancelPaymentButton({ campaign, payment, name, idNumber, onDone }) {
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState(false);
  if (done) return html`<span class="muted small" data-testid=${'cancelled-' + payment.external_ref}>${t('cancel.done')}</span>`;
  return html`<span>
    <button type="button" class="danger-text" data-testid=${'cancel-pay-' + payment.external_ref} onClick=${() => setOpen(true)}>${t('cancel.button')}</button>
    ${open && html`<${Confirm} testid="confirm-cancel-pay" danger=${true}
      title=${t('cancel.title')}
      body=${html`<p data-testid="confirm-cancel-text">${t('cancel.body', { name, id: idNumber, no: payment.receipt_no || '—', amount: yuan(payment.amount), channel: t('channel.' + payment.channel), ref: payment.external_ref, day: payment.paid_on })}</p>
        <p class="muted small">${t('cancel.next')}</p>
        ${payment.channel === 'cash' && html`<p class="muted small">${t('cancel.cash_hint')}</p>`}`}
      reasonLabel=${t('cancel.reason')} confirmLabel=${t('cancel.button')}
      onConfirm=${(reason) => api(EP.cancelPayment(campaign), { method: 'POST', body: { channel: payment.channel, external_ref: payment.external_ref, reason } }).then(() => { setDone(true); onDone && onDone(); })}
      onClose=${() => setOpen(false)} />`}
  </span>`;
}

export function PendingRefunds({ campaign, user, tick }) {
  const [n, setN] = useState(0);
  const [approving, setApproving] = useState(null);
  const cols = [
    { key: 'name', label: 'resident.name' },
    { key: 'id_number', label: 'resident.id_number' },
    { key: 'kind', label: 'refund.kind', render: (r) => r.kind_zh ? t('refund.kind.' + r.kind) : '—' },
    { key: 'amount', label: 'payment.amount', num: true, render: (r) => yuan(r.amount) },
    { key: 'reason', label: 'refund.reason' },
    { key: 'created_by', label: 'refund.created_by', render: (r) => String(r.created_by || '—').replace(/^api:/, '') },
    { key: 'status', label: 'refund.status', render: (r) => t('refund.status.' + r.status) },
  ];
  const mine = (r) => String(r.created_by || '').replace(/^api:/, '') === user.username;
  if (can(user, 'refund.approve')) {
    cols.push({ key: 'id', label: 'common.actions', render: (r) => mine(r)
      ? html`<span class="muted small">${t('refund.not_own')}</span>`
      : html`<button type="button" data-testid=${'approve-' + r.id} onClick=${() => setApproving(r)}>${t('refund.approve')}</button>` });
  }
  return html`<${Section} title="refund.pending" testid="pending-refunds">
    <${PagedTable} path=${EP.refunds(campaign)} query=${{ status: 'pending', tick, n }} columns=${cols} rowKey="id" />
    <p class="muted small">${t('refund.pending_hint')}</p>
    ${approving && html`<${Confirm} testid="confirm-approve"
      title=${t('refund.approve')}
      body=${html`<p>${t('refund.approve_body', { name: approving.name, amount: yuan(approving.amount) })}</p>`}
      onConfirm=${() => api(EP.refundsApprove(campaign), { method: 'POST', body: { refund_ids: [approving.id] } }).then(() => setN(n + 1))}
      onClose=${() => setApproving(null)} />`}
  <//>`;
}
