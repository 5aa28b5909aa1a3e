// The village agent's round, phone first (issue 15 item 1): my village's worklist by household →
// a household with every member's amount due → payment for several members at once (after a
// confirmation) → a visit outcome per person → who to remind (Excel with phone numbers); and who
// has not activated the 医保电子凭证 (item 2). Data: /api/v1/fieldwork (docs/api.md).
import { html, useState, useEffect, useRef } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { api, url } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../roles.js';
import { Notice, Field, useApi, yuan, scopeWord, Download } from '../ui.js';

export const FW = {
  worklist: 'fieldwork/worklist', // ?q=&identity=&state=&outcome=&limit=&offset=
  household: (rid) => `fieldwork/households/${rid}`,
  pay: 'fieldwork/payments', // POST {request_ref, channel, members: [{resident_id, amount}]}: all or nothing
  visits: 'fieldwork/visits', // POST {resident_id, outcome, reason, visited_on, promised_on, phone, evidence_ref}
  reminders: 'fieldwork/reminders', // ?limit=&offset= (paged: total, items)
  remindersXlsx: 'fieldwork/reminders/export',
  notActivated: 'fieldwork/not-activated', // ?limit=&offset= (paged: total, items)
  activation: 'fieldwork/activation', // ?level=town|village
  activationImport: 'fieldwork/activations/import', // multipart: file
};

export const STATES = ['todo', 'enrolled', 'employee', 'elsewhere', 'gone'];
export const OUTCOMES = ['promised', 'unreachable', 'refused', 'paid_elsewhere', 'employee', 'died', 'army'];
const WITH_VOUCHER = ['paid_elsewhere', 'employee'];
const PAGE = 10; // households a page
const PEOPLE_PAGE = 20; // residents a page (reminders, not activated)

function StateTag({ m }) {
  return html`<span class=${'tag state-' + m.state}>${t('fw.state.' + m.state)}</span>`;
}

function OutcomeLine({ m }) {
  if (!m.outcome) return null;
  return html`<div class="small muted">${t('fw.outcome.' + m.outcome)}${m.promised_on ? ' · ' + t('fw.promised_on_short', { day: m.promised_on }) : ''}${m.visited_on ? ' · ' + t('fw.visited_on_short', { day: m.visited_on }) : ''}</div>`;
}

export function AgentPage({ user }) {
  const [tab, setTab] = useState('work');
  const [open, setOpen] = useState(null); // resident id of the household on view
  const tabs = [['work', 'fw.tab.work'], ['remind', 'fw.tab.remind'], ['activate', 'fw.tab.activate']];
  return html`<div class="page agent" data-testid="page-agent">
    <div class="tabs" role="tablist">
      ${tabs.map(([k, label]) => html`<button type="button" role="tab" class=${tab === k && !open ? 'on' : ''} data-testid=${'tab-' + k}
        onClick=${() => { setOpen(null); setTab(k); }}>${t(label)}</button>`)}
    </div>
    ${open ? html`<${Household} rid=${open} user=${user} onBack=${() => setOpen(null)} />`
      : tab === 'work' ? html`<${Worklist} onOpen=${setOpen} />`
      : tab === 'remind' ? html`<${Reminders} />`
      : html`<${NotActivated} user=${user} />`}
  </div>`;
}

function Worklist({ onOpen }) {
  const [q, setQ] = useState('');
  const [typed, setTyped] = useState('');
  const [identity, setIdentity] = useState('');
  const [state, setState] = useState('todo');
  const [outcome, setOutcome] = useState('');
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [q, identity, state, outcome]);
  const [data, error, loading] = useApi(FW.worklist, { q, identity, state, outcome, limit: PAGE, offset });
  const [seen, setSeen] = useState([]);
  useEffect(() => {
    if (!data) return;
    const names = new Set(seen);
    data.households.forEach((h) => h.members.forEach((m) => m.identities.forEach((x) => names.add(x))));
    if (names.size !== seen.length) setSeen([...names].sort());
  }, [data]);
  const households = (data && data.households) || [];
  return html`<div data-testid="worklist">
    <form class="row gap search" onSubmit=${(e) => { e.preventDefault(); setQ(typed.trim()); }}>
      <input type="search" name="q" data-testid="wl-search" placeholder=${t('fw.search_ph')} value=${typed} onInput=${(e) => setTyped(e.target.value)} />
      <button type="submit" class="primary" data-testid="wl-search-btn">${t('fw.search')}</button>
    </form>
    <div class="filters">
      <label class="field"><span>${t('fw.state')}</span>
        <select data-testid="wl-state" value=${state} onChange=${(e) => setState(e.target.value)}>
          ${STATES.map((s) => html`<option value=${s}>${t('fw.state.' + s)}</option>`)}
          <option value="all">${t('fw.all')}</option>
        </select></label>
      <label class="field"><span>${t('fw.identity')}</span>
        <select data-testid="wl-identity" value=${identity} onChange=${(e) => setIdentity(e.target.value)}>
          <option value="">${t('fw.all')}</option>
          ${seen.map((x) => html`<option value=${x}>${x}</option>`)}
        </select></label>
      <label class="field"><span>${t('fw.outcome')}</span>
        <select data-testid="wl-outcome" value=${outcome} onChange=${(e) => setOutcome(e.target.value)}>
          <option value="">${t('fw.all')}</option>
          <option value="none">${t('fw.not_visited')}</option>
          ${OUTCOMES.map((o) => html`<option value=${o}>${t('fw.outcome.' + o)}</option>`)}
        </select></label>
    </div>
    <${Notice} error=${error} />
    ${data && html`<p class="muted small" data-testid="wl-count">${data.total_households === null
      ? t('fw.count_open', { on: data.on })
      : t('fw.count', { households: data.total_households, residents: data.total_residents, on: data.on })}</p>`}
    ${loading && !data && html`<p class="muted">${t('common.loading')}</p>`}
    ${data && households.length === 0 && html`<p class="muted">${t('fw.none')}</p>`}
    <ul class="households">
      ${households.map((h) => html`<li class="hh card" data-testid="hh-card">
        <div class="hh-h"><b>${h.household ? t('fw.household_no', { no: h.household }) : t('fw.no_household')}</b>
          <span class="muted small">${h.village} · ${t('fw.persons', { n: h.members.length })}</span>
          ${Number(h.due_total) > 0 && html`<span class="money">¥${yuan(h.due_total)}</span>`}</div>
        <ul class="members">
          ${h.members.map((m) => html`<li key=${m.resident_id}>
            <div class="m-line"><b>${m.name}</b> <span class="muted small">${m.id_number}</span> <${StateTag} m=${m} /></div>
            <div class="small">${m.identities.length ? m.identities.join('、') : t('fw.ordinary')}${m.individual_due !== null ? ' · ' + t('fw.due', { amount: yuan(m.individual_due) }) : ''}</div>
            <${OutcomeLine} m=${m} />
          </li>`)}
        </ul>
        <button type="button" class="primary wide" data-testid="hh-open" onClick=${() => onOpen(h.members[0].resident_id)}>${t('fw.open_household')}</button>
      </li>`)}
    </ul>
    ${data && html`<${Pager} offset=${offset} size=${PAGE} total=${data.total_households} more=${data.more} label="fw.page" onPage=${setOffset} testid="wl-pager" />`}
  </div>`;
}

// Previous / next over a list paged by the server (shown when there is more than one page). A list
// with no total (a county's worklist: total null) pages on `more` and shows where the page starts.
function Pager({ offset, size, total, more, label, onPage, testid }) {
  const counted = total !== null && total !== undefined;
  const last = counted ? offset + size >= total : !more;
  if (offset === 0 && last) return null;
  return html`<div class="pager" data-testid=${testid}>
    <button type="button" disabled=${offset === 0} onClick=${() => onPage(Math.max(0, offset - size))}>${t('common.prev')}</button>
    <span>${counted ? t(label, { from: offset + 1, to: Math.min(offset + size, total), total }) : t(label + '_open', { from: offset + 1, to: offset + size })}</span>
    <button type="button" disabled=${last} onClick=${() => onPage(offset + size)}>${t('common.next')}</button>
  </div>`;
}

function Household({ rid, user, onBack }) {
  const [data, error, loading, reload] = useApi(FW.household(rid));
  const [picked, setPicked] = useState({});
  const [confirm, setConfirm] = useState(null); // {ref, members}
  const [paid, setPaid] = useState(null);
  const [visit, setVisit] = useState(null); // member for the outcome form
  const [saved, setSaved] = useState(null);
  const members = (data && data.members) || [];
  const payable = (m) => m.state === 'todo' && !m.paid && m.amount_due !== null;
  useEffect(() => { // every member who can pay is ticked at first
    if (data) setPicked(Object.fromEntries(members.filter(payable).map((m) => [m.resident_id, true])));
  }, [data]);
  const chosen = members.filter((m) => payable(m) && picked[m.resident_id]);
  const total = chosen.reduce((s, m) => s + Math.round(Number(m.amount_due) * 100), 0);
  const mayPay = can(user, 'payment.record');
  const mayVisit = can(user, 'visit.record');
  return html`<div data-testid="household">
    <button type="button" class="link" data-testid="hh-back" onClick=${onBack}>‹ ${t('fw.back')}</button>
    <${Notice} error=${error} />
    ${loading && !data && html`<p class="muted">${t('common.loading')}</p>`}
    ${data && html`<h2 class="hh-title">${data.household ? t('fw.household_no', { no: data.household }) : t('fw.no_household')} <span class="muted small">${data.village}</span></h2>`}
    ${paid && html`<div class="notice ok" role="status" data-testid="paid-ok">
      ${t('fw.paid_ok', { n: paid.members.length, total: yuan(paid.total) })}
      <ul class="plain">${paid.members.map((m) => html`<li>${m.name}：¥${yuan(m.amount)} · ${t('fw.receipt_no', { no: m.receipt_no || '—' })}</li>`)}</ul>
    </div>`}
    ${saved && html`<${Notice} kind="ok">${t('fw.visit_saved', { name: saved.name, outcome: t('fw.outcome.' + saved.outcome) })}<//>`}
    <ul class="members big-list">
      ${members.map((m) => html`<li class="card member" key=${m.resident_id} data-testid="member">
        <label class="m-line">
          ${mayPay && payable(m) && html`<input type="checkbox" class="tick" data-testid="pick" checked=${!!picked[m.resident_id]}
            onChange=${(e) => setPicked({ ...picked, [m.resident_id]: e.target.checked })} />`}
          <b>${m.name}</b> <span class="muted small">${m.id_number}</span> <${StateTag} m=${m} /></label>
        <div class="small">${m.identities.length ? m.identities.join('、') : t('fw.ordinary')}</div>
        <div>${m.paid ? html`<span class="ok">${t('fw.paid_receipt', { no: m.receipt_no || '—' })}</span>`
          : m.amount_due !== null ? html`${t('fw.amount_due')}：<span class="money">¥${yuan(m.amount_due)}</span>` : html`<span class="muted">${t('fw.no_amount')}</span>`}</div>
        <${OutcomeLine} m=${m} />
        ${m.phone && html`<div class="small">${t('fw.phone')}：<a href=${'tel:' + m.phone}>${m.phone}</a></div>`}
        ${mayVisit && m.state === 'todo' && !m.paid && html`<button type="button" data-testid="visit-open" onClick=${() => { setSaved(null); setVisit(m); }}>${t('fw.record_visit')}</button>`}
        ${visit && visit.resident_id === m.resident_id && html`<${VisitForm} m=${m} day=${data.on} onCancel=${() => setVisit(null)}
          onSaved=${(v) => { setVisit(null); setSaved({ name: m.name, outcome: v.outcome }); reload(); }} />`}
      </li>`)}
    </ul>
    ${mayPay && chosen.length > 0 && !confirm && !visit && html`<div class="action-bar">
      <button type="button" class="primary wide" data-testid="pay-selected"
        onClick=${() => { setPaid(null); setConfirm({ ref: 'HH-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 8), members: chosen }); }}>
        ${t('fw.pay_selected', { n: chosen.length, total: yuan((total / 100).toFixed(2)) })}</button></div>`}
    ${confirm && html`<${ConfirmPay} c=${confirm} onCancel=${() => setConfirm(null)}
      onPaid=${(r) => { setConfirm(null); setPaid(r); reload(); }} />`}
  </div>`;
}

function ConfirmPay({ c, onCancel, onPaid }) {
  const [channel, setChannel] = useState('cash');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const total = c.members.reduce((s, m) => s + Math.round(Number(m.amount_due) * 100), 0);
  const el = useRef(null);
  // on a phone the confirmation opens below the household: brought into view
  useEffect(() => { if (el.current && el.current.scrollIntoView) el.current.scrollIntoView({ block: 'start' }); }, []);
  async function pay() {
    setBusy(true); setError(null);
    try {
      const body = { request_ref: c.ref, channel, members: c.members.map((m) => ({ resident_id: m.resident_id, amount: String(m.amount_due) })) };
      onPaid(await api(FW.pay, { method: 'POST', body }));
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<div class="card confirm" role="dialog" aria-modal="true" data-testid="pay-confirm" ref=${el}>
    <h3>${t('fw.confirm_title')}</h3>
    <table class="confirm-table"><tbody>
      ${c.members.map((m) => html`<tr><td>${m.name}</td><td class="num">¥${yuan(m.amount_due)}</td></tr>`)}
      <tr class="sum"><th>${t('fw.total')}</th><th class="num">¥${yuan((total / 100).toFixed(2))}</th></tr>
    </tbody></table>
    <${Field} label="payment.channel">
      <select value=${channel} onChange=${(e) => setChannel(e.target.value)} data-testid="pay-channel">
        <option value="cash">${t('channel.cash')}</option><option value="pos">${t('channel.pos')}</option>
      </select><//>
    <p class="small muted">${t('fw.confirm_hint')}</p>
    <${Notice} error=${error} />
    <div class="confirm-actions">
      <button type="button" class="primary" disabled=${busy} data-testid="pay-confirm-btn" onClick=${pay}>${t('fw.confirm_pay')}</button>
      <button type="button" disabled=${busy} onClick=${onCancel}>${t('common.cancel')}</button>
    </div>
  </div>`;
}

function VisitForm({ m, day, onCancel, onSaved }) {
  // the visit's day defaults to the server's today (the bureau's calendar, China time)
  const [f, setF] = useState({ outcome: 'promised', reason: '', visited_on: day, promised_on: '', phone: m.phone || '', evidence_ref: '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  async function submit(e) {
    e.preventDefault(); setBusy(true); setError(null);
    const body = { resident_id: m.resident_id, outcome: f.outcome, reason: f.reason, visited_on: f.visited_on };
    if (f.outcome === 'promised') body.promised_on = f.promised_on;
    if (f.phone.trim()) body.phone = f.phone.trim();
    if (WITH_VOUCHER.includes(f.outcome) && f.evidence_ref.trim()) body.evidence_ref = f.evidence_ref.trim();
    try { onSaved(await api(FW.visits, { method: 'POST', body })); } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return html`<form class="card inner" onSubmit=${submit} data-testid="visit-form">
    <h3>${t('fw.visit_title', { name: m.name })}</h3>
    <${Field} label="fw.outcome"><select name="outcome" value=${f.outcome} onChange=${set('outcome')} data-testid="visit-outcome">
      ${OUTCOMES.map((o) => html`<option value=${o}>${t('fw.outcome.' + o)}</option>`)}</select><//>
    <${Field} label="fw.reason"><textarea name="reason" rows="2" required maxlength="400" value=${f.reason} onInput=${set('reason')} data-testid="visit-reason" placeholder=${t('fw.reason_ph')}></textarea><//>
    <div class="grid2">
      <${Field} label="fw.visited_on"><input type="date" name="visited_on" required max=${day} data-testid="visit-day" value=${f.visited_on} onInput=${set('visited_on')} /><//>
      ${f.outcome === 'promised' && html`<${Field} label="fw.promised_on"><input type="date" name="promised_on" required min=${f.visited_on} value=${f.promised_on} onInput=${set('promised_on')} data-testid="visit-promised" /><//>`}
      <${Field} label="fw.phone"><input type="tel" name="phone" inputmode="tel" maxlength="20" value=${f.phone} onInput=${set('phone')} data-testid="visit-phone" /><//>
      ${WITH_VOUCHER.includes(f.outcome) && html`<${Field} label="fw.evidence_ref"><input name="evidence_ref" maxlength="200" value=${f.evidence_ref} onInput=${set('evidence_ref')} /><//>`}
    </div>
    <${Notice} error=${error} />
    <div class="action-bar row gap">
      <button type="submit" class="primary" disabled=${busy} data-testid="visit-save">${t('common.save')}</button>
      <button type="button" onClick=${onCancel}>${t('common.cancel')}</button>
    </div>
  </form>`;
}

function PeopleList({ items, testid, extra }) {
  return html`<ul class="members big-list" data-testid=${testid}>
    ${items.map((m) => html`<li class="card member" key=${m.resident_id}>
      <div class="m-line"><b>${m.name}</b> <span class="muted small">${m.id_number}</span> <${StateTag} m=${m} /></div>
      <div class="small muted">${m.village}${m.household ? ' · ' + t('fw.household_no', { no: m.household }) : ''}</div>
      ${extra && extra(m)}
      ${m.phone ? html`<div class="small">${t('fw.phone')}：<a href=${'tel:' + m.phone}>${m.phone}</a></div>` : html`<div class="small muted">${t('fw.no_phone')}</div>`}
    </li>`)}
  </ul>`;
}

function Reminders() {
  // paged by the server (the Excel download is the whole list)
  const [offset, setOffset] = useState(0);
  const [data, error, loading] = useApi(FW.reminders, { limit: PEOPLE_PAGE, offset });
  return html`<div data-testid="reminders">
    <div class="row gap">
      <p class="muted small grow">${t('fw.remind_hint')}</p>
      <${Download} testid="remind-xlsx" href=${url(FW.remindersXlsx)} label="common.export_xlsx" />
    </div>
    <${Notice} error=${error} />
    ${loading && !data && html`<p class="muted">${t('common.loading')}</p>`}
    ${data && html`<p class="muted small" data-testid="remind-count">${t('common.total', { total: data.total })}</p>
      <${PeopleList} items=${data.items} testid="remind-list" extra=${(m) => html`<div class="small">
        ${m.outcome ? t('fw.outcome.' + m.outcome) : t('fw.not_visited')}${m.promised_on ? ' · ' + t('fw.promised_on_short', { day: m.promised_on }) : ''}
        ${m.individual_due !== null ? ' · ' + t('fw.due', { amount: yuan(m.individual_due) }) : ''}</div>`} />
      <${Pager} offset=${offset} size=${PEOPLE_PAGE} total=${data.total} label="fw.page_people" onPage=${setOffset} testid="remind-pager" />`}
  </div>`;
}

function NotActivated({ user }) {
  // paged by the server like the worklist: a county's list is most of its residents
  const [offset, setOffset] = useState(0);
  const [data, error, loading] = useApi(FW.notActivated, { limit: PEOPLE_PAGE, offset });
  return html`<div data-testid="not-activated">
    <p class="muted small">${t('fw.activate_hint', { scope: scopeWord(user && user.region_code) })}</p>
    <${Notice} error=${error} />
    ${loading && !data && html`<p class="muted">${t('common.loading')}</p>`}
    ${data && html`<p class="muted small" data-testid="not-activated-count">${t('common.total', { total: data.total })}</p><${PeopleList} items=${data.items} testid="not-activated-list" />
      <${Pager} offset=${offset} size=${PEOPLE_PAGE} total=${data.total} label="fw.page_people" onPage=${setOffset} testid="not-activated-pager" />`}
  </div>`;
}
