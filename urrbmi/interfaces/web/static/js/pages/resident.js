// Resident page (缴费查询): look up by ID (typed, pasted or scanned), identities, amount due with the
// explanation and clause citations, payments, benefit period, audit history; register a newborn or a
// new resident; record a cash/POS payment and print a receipt in a 专用票据-like layout.
import { html, useState, useRef, useEffect } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, EP } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Section, Table, Field, PagedTable, RegionName, useApi, yuan, yuanCapital, normalizeId, validId } from '../ui.js';
import { RegionPicker } from '../pickers.js';
import { CancelPaymentButton } from './refunds.js';

export function ResidentPage({ user }) {
  const [idInput, setIdInput] = useState('');
  const [shownId, setShownId] = useState('');
  const [st, setSt] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [mode, setMode] = useState('');
  const [receipt, setReceipt] = useState(null);
  const input = useRef(null);
  useEffect(() => { input.current && input.current.focus(); }, []);

  async function lookup(raw) {
    const id = normalizeId(raw);
    setError(null); setSt(null); setReceipt(null); setMode('');
    if (!validId(id)) { setError({ zh: t('resident.bad_id'), en: t('resident.bad_id') }); return null; }
    setBusy(true);
    try {
      const found = await api(EP.lookup, { method: 'POST', body: { id_number: id } });
      setSt(found); setShownId(id);
      return found;
    } catch (e) { setError(e); return null; } finally { setBusy(false); }
  }
  // After a payment: reload the statement, and print the receipt with the server's day and number.
  async function paid(r) {
    const found = await lookup(shownId);
    const rows = found ? (found.campaigns || []).flatMap((c) => c.payments || []) : [];
    const row = rows.find((x) => x.external_ref === r.external_ref);
    setReceipt({ ...r, paid_on: row ? row.paid_on : r.paid_on, receipt_no: r.receipt_no ?? (row && row.receipt_no) });
  }
  function onPaste(e) {
    const text = (e.clipboardData || window.clipboardData).getData('text');
    const id = normalizeId(text);
    if (validId(id)) { e.preventDefault(); setIdInput(id); lookup(id); }
  }
  return html`<div class="page" data-testid="page-resident">
    <${Section} title="resident.lookup">
      <form class="row" onSubmit=${(e) => { e.preventDefault(); lookup(idInput); }}>
        <input ref=${input} class="id-input" name="id_number" inputmode="text" autocomplete="off" maxlength="24"
          placeholder=${t('resident.id_placeholder')} value=${idInput} data-testid="id-input"
          onInput=${(e) => setIdInput(e.target.value)} onPaste=${onPaste} />
        <button class="primary" type="submit" disabled=${busy} data-testid="lookup">${t('resident.lookup_btn')}</button>
      </form>
      <p class="muted small">${t('resident.scan_hint')}</p>
      <div class="row gap">
        ${can(user, 'resident.write') && html`<button type="button" data-testid="new-resident" onClick=${() => setMode('new')}>${t('resident.register_new')}</button>
          <button type="button" data-testid="new-newborn" onClick=${() => setMode('newborn')}>${t('resident.register_newborn')}</button>`}
      </div>
      <${Notice} error=${error} />
    <//>
    ${mode === 'new' && html`<${RegisterForm} kind="resident" user=${user} onDone=${(id) => { setMode(''); setIdInput(id); lookup(id); }} onCancel=${() => setMode('')} />`}
    ${mode === 'newborn' && html`<${RegisterForm} kind="newborn" user=${user} onDone=${(id) => { setMode(''); setIdInput(id); lookup(id); }} onCancel=${() => setMode('')} />`}
    ${st && html`<${Statement} st=${st} idNumber=${shownId} user=${user}
      onPaid=${paid} onChanged=${() => lookup(shownId)} />`}
    ${receipt && html`<${Receipt} r=${receipt} />`}
  </div>`;
}

function Statement({ st, idNumber, user, onPaid, onChanged }) {
  const camps = st.campaigns || [];
  // the amount due and the payment form first (on a phone the pay button is on the first screen),
  // under the person's name and masked ID; the details follow
  return html`<div data-testid="statement">
    <p class="who-line"><b>${st.name}</b> · ${st.id_number}</p>
    ${camps.length === 0 && html`<${Notice} kind="info">${t('resident.no_campaign')}<//>`}
    ${camps.map((c) => html`<${CampaignBlock} c=${c} st=${st} idNumber=${idNumber} user=${user} onPaid=${onPaid} onChanged=${onChanged} />`)}
    <${Section} title="resident.person">
      <dl class="kv">
        <dt>${t('resident.name')}</dt><dd data-testid="st-name">${st.name}</dd>
        <dt>${t('resident.id_number')}</dt><dd data-testid="st-id">${st.id_number}</dd>
        <dt>${t('resident.sex')}</dt><dd>${st.sex === 'F' || st.sex === '2' ? t('resident.female') : t('resident.male')}</dd>
        <dt>${t('resident.birth_date')}</dt><dd>${st.birth_date}</dd>
        <dt>${t('resident.region')}</dt><dd><${RegionName} code=${st.region_code} /></dd>
        <dt>${t('resident.status')}</dt><dd>${t('resident.status.' + st.status)}</dd>
        <dt>${t('resident.identities_now')}</dt><dd>${(st.identities_now || []).join('、') || t('resident.none')}</dd>
      </dl>
    <//>
    <${Section} title="resident.identities">
      <${Table} columns=${[
        { key: 'category', label: 'resident.category' },
        { key: 'department', label: 'resident.department', render: (r) => { const k = 'source.' + r.department; const s = t(k); return s === k ? r.department : s; } },
        { key: 'valid_from', label: 'resident.valid_from' },
        { key: 'valid_to', label: 'resident.valid_to' },
      ]} rows=${st.identities || []} />
    <//>
    ${can(user, 'audit.read') || can(user, 'resident.write') ? html`<${Section} title="resident.history" testid="history">
      <${PagedTable} path=${EP.residentHistory(st.resident_id)} columns=${[
        { key: 'row_version', label: 'audit.version', num: true },
        { key: 'valid_from', label: 'audit.at', render: (r) => String(r.valid_from).replace('T', ' ').slice(0, 19) },
        { key: 'changed_by', label: 'audit.actor' },
        { key: 'reason', label: 'audit.reason' },
        { key: 'data', label: 'audit.detail', render: (r) => html`<code class="small">${summarize(r.data)}</code>` },
      ]} />
    <//>` : null}
  </div>`;
}

// A history entry's fields as an officer reads them (labels and values in Chinese, never keys).
function summarize(data) {
  if (!data || typeof data !== 'object') return String(data ?? '');
  const lab = (prefix, k) => { const s = t(prefix + k); return s === prefix + k ? null : s; };
  const value = (k, v) => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
    if (k === 'sex') return t(v === 'F' || v === '2' ? 'resident.female' : 'resident.male');
    if (k === 'status') return lab('resident.status.', v) || String(v);
    if (k === 'residence') return lab('residence.', v) || String(v);
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  return Object.entries(data).filter(([k]) => k !== 'id_number' && lab('field.', k))
    .map(([k, v]) => `${lab('field.', k)}：${value(k, v)}`).join('；');
}

// A policy by its notice's name (GET policies), not its id@version.
function PolicyName({ id }) {
  const [list] = useApi(EP.policies);
  const p = (list || []).find((x) => x.id === String(id || '').split('@')[0]);
  return html`<span>${p ? p.document : '—'}</span>`;
}

function CampaignBlock({ c, st, idNumber, user, onPaid, onChanged }) {
  const [showWhy, setShowWhy] = useState(false);
  const expl = c.explanation || [];
  return html`<${Section} title="resident.campaign" testid=${'campaign-' + c.campaign}>
    <dl class="kv">
      <dt>${t('resident.benefit_year')}</dt><dd>${c.benefit_year}</dd>
      <dt>${t('resident.policy')}</dt><dd><${PolicyName} id=${c.policy} /></dd>
      <dt>${t('resident.assessment')}</dt><dd>${t('assessment.' + c.assessment)}${c.reason ? '（' + c.reason + '）' : ''}</dd>
      ${c.tier && html`<dt>${t('resident.tier')}</dt><dd>${t('resident.tier_n', { n: c.tier })}</dd>`}
      ${c.subsidy_category && html`<dt>${t('resident.subsidy_category')}</dt><dd>${c.subsidy_category}</dd>`}
      <dt>${t('resident.amount_due')}</dt><dd class="money" data-testid="amount-due">${c.amount_due === null ? '—' : yuan(c.amount_due) + ' ' + t('common.yuan')}</dd>
      <dt>${t('resident.enrolled')}</dt><dd data-testid="enrolled">${c.enrolled ? t('common.yes') : t('common.no')}</dd>
      <dt>${t('resident.benefit_period')}</dt><dd data-testid="benefit-period">${c.benefit_period ? c.benefit_period.start + ' — ' + c.benefit_period.end : '—'}</dd>
    </dl>
    ${'' /* the payment form comes right after the amount due: on a phone its button is on the first screen */}
    ${can(user, 'payment.record') && c.assessment === 'due' && !c.enrolled && html`<${PayForm} c=${c} st=${st} idNumber=${idNumber} onPaid=${onPaid} />`}
    ${expl.length > 0 && html`<button type="button" class="link" data-testid="show-why" onClick=${() => setShowWhy(!showWhy)}>${t(showWhy ? 'resident.hide_why' : 'resident.show_why')}</button>`}
    ${showWhy && html`<${Explanation} steps=${expl} />`}
    <h3>${t('resident.payments')}</h3>
    <${Table} columns=${[
      { key: 'receipt_no', label: 'payment.receipt_no' },
      { key: 'channel', label: 'payment.channel', render: (p) => t('channel.' + p.channel) },
      { key: 'amount', label: 'payment.amount', num: true, render: (p) => yuan(p.amount) },
      { key: 'paid_on', label: 'payment.paid_on' },
      { key: 'status', label: 'payment.status', render: (p) => t('payment.status.' + p.status) + (p.hold_reason ? '（' + p.hold_reason + '）' : '') },
      // an accepted payment can be cancelled (a pending refund) by an officer, behind a confirmation
      ...(can(user, 'payment.cancel') ? [{ key: 'external_ref', label: 'common.actions', render: (p) => p.status === 'accepted'
        ? html`<${CancelPaymentButton} campaign=${c.campaign} payment=${p} name=${st.name} idNumber=${st.id_number} onDone=${onChanged} />` : '—' }] : []),
    ]} rows=${c.payments || []} cards=${true} />
  <//>`;
}

// A step's value that is a code (a payment window's or a person class's name in the policy file,
// e.g. "centralized") is not shown: the rule beside it says the same in Chinese.
const CODE = /^[a-z][a-z0-9_]*$/;
function stepName(step) { const k = 'step.' + step; const s = t(k); return s === k ? '' : s; }

export function Explanation({ steps }) {
  return html`<ol class="explain" data-testid="explanation">
    ${steps.map((s) => html`<li>${stepName(s.step) && html`<b>${stepName(s.step)}</b>：`}${s.rule}${s.value && !CODE.test(s.value) ? ' → ' + s.value : ''}
      ${s.cite && html`<div class="cite">${t('policy.cite')}：${s.cite}</div>`}
      ${s.assumed && html`<div class="assumed">${t('policy.assumed')}：${s.assumed}</div>`}</li>`)}
  </ol>`;
}

function today() {
  // China time (UTC+8): the bureau's calendar day, whatever the PC's clock zone.
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
}

function PayForm({ c, st, idNumber, onPaid }) {
  const [channel, setChannel] = useState('cash');
  const [amount, setAmount] = useState(c.amount_due === null ? '' : yuan(c.amount_due).replace(/,/g, ''));
  const [ref, setRef] = useState('');
  const [error, setError] = useState(null);
  const [held, setHeld] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault(); setError(null); setHeld(null); setBusy(true);
    // the receipt number or POS reference is the idempotency key: a double click records once
    const external_ref = ref.trim() || `${channel.toUpperCase()}-${idNumber.slice(-6)}-${Date.now()}`;
    try {
      const r = await api(EP.payments(c.campaign), { method: 'POST', body: { id_number: idNumber, amount, channel, external_ref } });
      if (r.status !== 'accepted') { setHeld(r); return; }
      onPaid({ ...r, name: st.name, id_masked: st.id_number, channel, external_ref,
        paid_on: r.paid_on || today(), benefit_year: c.benefit_year, policy: c.policy });
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<form class="card inner" onSubmit=${submit} data-testid="pay-form">
    <h3>${t('payment.record')}</h3>
    <div class="grid2">
      <${Field} label="payment.channel">
        <select value=${channel} onChange=${(e) => setChannel(e.target.value)} name="channel">
          <option value="cash">${t('channel.cash')}</option><option value="pos">${t('channel.pos')}</option>
        </select><//>
      <${Field} label="payment.amount"><input name="amount" inputmode="decimal" required pattern="[0-9]+(\\.[0-9]{1,2})?" value=${amount} onInput=${(e) => setAmount(e.target.value)} /><//>
      <${Field} label="payment.external_ref"><input name="external_ref" maxlength="64" placeholder=${t('payment.ref_auto')} value=${ref} onInput=${(e) => setRef(e.target.value)} /><//>
    </div>
    <${Notice} error=${error} />
    ${held && html`<div class="notice warn" role="status" data-testid="pay-held">${t('payment.held', { reason: held.hold_reason ? t('hold.' + held.hold_reason) : '—', due: yuan(held.due) })}</div>`}
    <div class="action-bar"><button class="primary" type="submit" disabled=${busy} data-testid="pay-submit">${t('payment.submit')}</button></div>
  </form>`;
}

function Receipt({ r }) {
  const el = useRef(null);
  // the receipt is below the statement: brought into view when it appears (a phone's screen)
  useEffect(() => { if (el.current && el.current.scrollIntoView) el.current.scrollIntoView({ block: 'start' }); }, [r.receipt_no]);
  return html`<div class="receipt-box" data-testid="receipt" ref=${el}>
    <${Notice} kind="ok">${t('payment.recorded', { no: r.receipt_no || '—' })}<//>
    <button type="button" class="primary" data-testid="print" onClick=${() => window.print()}>${t('receipt.print')}</button>
    <div class="receipt">
      <h2>${t('receipt.title')}</h2>
      <div class="receipt-meta"><span>${t('receipt.no')}：${r.receipt_no || '—'}</span><span>${t('receipt.date')}：${r.paid_on}</span></div>
      <table>
        <tr><th>${t('receipt.payer')}</th><td>${r.name}</td><th>${t('resident.id_number')}</th><td>${r.id_masked}</td></tr>
        <tr><th>${t('receipt.item')}</th><td colspan="3">${t('receipt.item_text', { year: r.benefit_year })}</td></tr>
        <tr><th>${t('receipt.amount_cap')}</th><td colspan="3">${yuanCapital(r.amount)}</td></tr>
        <tr><th>${t('receipt.amount')}</th><td>¥${yuan(r.amount)}</td><th>${t('payment.channel')}</th><td>${t('channel.' + r.channel)}</td></tr>
        <tr><th>${t('receipt.ref')}</th><td colspan="3">${r.external_ref}</td></tr>
      </table>
      <div class="receipt-foot"><span>${t('receipt.payee')}</span><span>${t('receipt.cashier')}：</span></div>
    </div>
  </div>`;
}

function RegisterForm({ kind, user, onDone, onCancel }) {
  // Sex and date of birth come from the ID number (the API derives them); a newborn needs a guardian.
  const [f, setF] = useState({ id_number: '', name: '', region_code: '', residence: 'hukou', guardian_id_number: '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  async function submit(e) {
    e.preventDefault(); setError(null);
    const id = normalizeId(f.id_number);
    const guardian = normalizeId(f.guardian_id_number);
    if (!validId(id) || (kind === 'newborn' && !validId(guardian))) {
      setError({ zh: t('resident.bad_id'), en: t('resident.bad_id') }); return;
    }
    // the village comes from the town → village picker (an agent's own village is fixed)
    const region = f.region_code || (user && String(user.region_code).length === 12 ? user.region_code : '');
    if (region.length !== 12) { setError({ zh: t('users.need_village'), en: t('users.need_village') }); return; }
    setBusy(true);
    try {
      const body = { id_number: id, name: f.name.trim(), region_code: region, residence: f.residence };
      if (kind === 'newborn') body.guardian_id_number = guardian;
      if (kind === 'newborn') {
        // a newborn is registered into the current campaign (and enrolled with an enrolled guardian)
        const cs = await api(EP.campaigns, { query: { limit: 50, offset: 0 } });
        const items = cs.items || [];
        if (!items.length) throw { zh: t('campaign.none'), en: t('campaign.none') };
        await api(EP.newborns(items[items.length - 1].id), { method: 'POST', body });
      } else {
        await api(EP.residents, { method: 'POST', body });
      }
      onDone(id);
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<form class="card" onSubmit=${submit} data-testid=${'register-' + kind}>
    <h2>${t(kind === 'newborn' ? 'resident.register_newborn' : 'resident.register_new')}</h2>
    <div class="grid2">
      <${Field} label="resident.id_number"><input name="id_number" required value=${f.id_number} onInput=${set('id_number')} /><//>
      <${Field} label="resident.name"><input name="name" required value=${f.name} onInput=${set('name')} /><//>
      <${Field} label="resident.residence"><select name="residence" value=${f.residence} onChange=${set('residence')}>
        ${['hukou', 'permit', 'none'].map((r) => html`<option value=${r}>${t('residence.' + r)}</option>`)}</select><//>
      ${kind === 'newborn' && html`<${Field} label="resident.guardian_id"><input name="guardian_id_number" required value=${f.guardian_id_number} onInput=${set('guardian_id_number')} /><//>`}
    </div>
    <${RegionPicker} user=${user} value=${f.region_code} need="village" onChange=${(code) => setF({ ...f, region_code: code })} testid="register-region" />
    <p class="muted small">${t('resident.derived_hint')}</p>
    <${Notice} error=${error} />
    <div class="row gap"><button class="primary" type="submit" disabled=${busy} data-testid="register-submit">${t('common.save')}</button>
      <button type="button" onClick=${onCancel}>${t('common.cancel')}</button></div>
  </form>`;
}
