// Save a file from the API (an Excel list, a roster) under the name the server gave it. Loaded on
// the first click of a download button (ui.js, Download): the log-in page does not carry it.
import { answerError, networkError } from './api.js';

export async function save(href) {
  let res;
  try {
    res = await fetch(href, { credentials: 'same-origin' });
  } catch (e) {
    throw networkError();
  }
  if (!res.ok) throw answerError(res.status, await res.json().catch(() => null));
  const disposition = res.headers.get('content-disposition') || '';
  const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="([^"]+)"/i.exec(disposition);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = named ? decodeURIComponent(named[1]) : 'download';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}
