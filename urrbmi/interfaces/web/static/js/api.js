// The REST API client: every path the UI calls is in EP (one place to follow the API contract).
// Browser sessions: the API sets an HttpOnly cookie; state-changing requests carry the CSRF token.
const BASE = '/api/v1/';
let csrf = sessionStorage.getItem('urrbmi.csrf') || '';

export function setCsrf(token) {
  csrf = token || '';
  if (csrf) sessionStorage.setItem('urrbmi.csrf', csrf); else sessionStorage.removeItem('urrbmi.csrf');
}

export const EP = {
  login: 'auth/login',
  logout: 'auth/logout',
  me: 'auth/me',
  csrf: 'auth/csrf',
  regions: 'regions',
  lookup: 'residents/lookup', // POST {id_number}: the ID stays out of URLs and access logs
  residentHistory: (rid) => `residents/${rid}/history`,
  residents: 'residents',
  newborns: (c) => `campaigns/${c}/newborns`,
  payments: (c) => `campaigns/${c}/payments`,
  campaigns: 'campaigns',
  paymentImport: (c) => `campaigns/${c}/payments/import`,
  reconcile: (c) => `campaigns/${c}/reconcile`,
  roster: (c) => `campaigns/${c}/roster`, // ?format=xlsx|csv&include_paid=
  acceptHeld: (c, id) => `campaigns/${c}/payments/${id}/accept`, // {reason}
  duplicates: (c) => `campaigns/${c}/duplicates`,
  progress: (c) => `campaigns/${c}/progress`, // ?level=county|town|village&on=
  charts: (c) => `campaigns/${c}/charts`, // {burnup: [{day, enrolled}], composition: {category: n}}
  notEnrolled: (c) => `campaigns/${c}/lists/not-enrolled`, // paged: {rows, keys, headers, total}
  hardship: (c) => `campaigns/${c}/lists/hardship`,
  bulletin: (c) => `campaigns/${c}/bulletin`, // ?format=json|xlsx|html
  funding: (c) => `campaigns/${c}/funding`,
  policies: 'policies',
  policy: (id) => `policies/${encodeURIComponent(id)}`,
  quote: (id) => `policies/${encodeURIComponent(id)}/quote`,
  compare: 'policy-comparisons', // ?jurisdiction=&before=&after=
  importList: 'imports/lists', // multipart: file, source, as_of, mode, sha256 (of the check) → the load's summary
  importCheck: 'imports/lists/check', // multipart: file, source, as_of → counts, token, first page of problem rows
  importCheckRows: (token) => `imports/lists/check/${encodeURIComponent(token)}/rows`, // paged problem rows
  importCheckReport: (token) => `imports/lists/check/${encodeURIComponent(token)}/report`, // the Excel error report
  reviews: 'imports/reviews',
  reviewDecide: (id) => `imports/reviews/${id}/decide`,
  audit: 'audit',
  // township and bureau pages (issue 15 items 3–4)
  notEnrolledXlsx: (c) => `campaigns/${c}/lists/not-enrolled/xlsx`, // ?region=&on= the whole list as Excel
  users: 'users', // GET paged, POST {username, password, role, region_code, display_name}
  userDisable: (u) => `users/${encodeURIComponent(u)}/disable`,
  cancelPayment: (c) => `campaigns/${c}/payments/cancel`, // {channel, external_ref, reason}: a pending refund
  refunds: (c) => `campaigns/${c}/refunds`, // ?status=
  refundsApprove: (c) => `campaigns/${c}/refunds/approve`, // {refund_ids}
};

export class ApiError extends Error {
  constructor(status, code, zh, en) {
    super(`${status} ${code}`);
    this.status = status; this.code = code; this.zh = zh; this.en = en;
  }
  // The route itself does not exist (yet): the API answers 404 "Not Found" with no domain code.
  get missingEndpoint() { return this.status === 404 && this.code === 'not_found' && /Not Found$/.test(this.en || ''); }
}

export function url(path, query) {
  const u = new URL(BASE + path, location.origin);
  if (query) for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  return u.pathname + u.search;
}

export async function api(path, { method = 'GET', body, form, query } = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (form) payload = form;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(url(path, query), { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw networkError();
  }
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw answerError(res.status, data);
  return data;
}

export function networkError() {
  return new ApiError(0, 'network', '网络连接失败，请稍后重试', 'Network error, please try again');
}

// The API's bilingual error body ({error: {code, message, message_en}}) as an ApiError.
export function answerError(status, data) {
  const e = (data && data.error) || {};
  return new ApiError(status, e.code || 'http_error', e.message || `HTTP ${status}`, e.message_en || `HTTP ${status}`);
}
