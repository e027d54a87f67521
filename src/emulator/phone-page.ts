/**
 * The phone view: one self-contained page (inline CSS/JS, no external assets). It polls the control API through
 * URLs derived from its own path, so it works at `/phone` and under any prefix (`/sandbox/phone`).
 */
export const PHONE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sinch emulator · phone</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1b1f; background: #e9edf2; }
  body { margin: 0; display: flex; justify-content: center; }
  .phone { width: 100%; max-width: 440px; min-height: 100vh; background: #f7f8fa; display: flex; flex-direction: column; box-shadow: 0 0 16px #0002; }
  header { background: #0b6e4f; color: #fff; padding: 12px 16px; display: flex; gap: 8px; align-items: center; }
  header a { color: #fff; text-decoration: none; font-size: 20px; }
  header h1 { font-size: 17px; margin: 0; flex: 1; }
  #list { padding: 8px 12px; }
  #list a { display: block; padding: 10px 12px; margin: 6px 0; background: #fff; border-radius: 8px; color: inherit; text-decoration: none; box-shadow: 0 1px 2px #0001; }
  #list small { color: #666; display: block; }
  #open { display: flex; gap: 6px; padding: 8px 12px; }
  #thread { flex: 1; padding: 10px; overflow-y: auto; display: flex; flex-direction: column; gap: 8px; }
  .msg { max-width: 82%; padding: 8px 10px; border-radius: 10px; box-shadow: 0 1px 2px #0002; white-space: pre-wrap; word-wrap: break-word; }
  .out { align-self: flex-start; background: #fff; }
  .in { align-self: flex-end; background: #d9fdd3; }
  .title { font-weight: 600; margin-bottom: 4px; }
  .meta { font-size: 11px; color: #667; margin-top: 4px; white-space: normal; }
  .failed { color: #b00020; }
  .media img { max-width: 100%; border-radius: 6px; display: block; margin: 4px 0; }
  .buttons { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
  .buttons button, .buttons a { background: #f0f6ff; border: 1px solid #c9dcf5; border-radius: 6px; padding: 6px; color: #0a58ca; cursor: pointer; text-align: center; text-decoration: none; font-size: 14px; }
  .buttons button:disabled { cursor: default; color: #667; }
  .msg.carousel { max-width: 100%; background: none; box-shadow: none; padding: 0; }
  .cards { display: flex; gap: 8px; overflow-x: auto; padding-bottom: 4px; }
  .card { flex: 0 0 72%; background: #fff; border-radius: 10px; padding: 8px 10px; box-shadow: 0 1px 2px #0002; white-space: normal; }
  .linkish { background: none; border: none; color: #0a58ca; cursor: pointer; font-size: 11px; padding: 0; margin-left: 6px; }
  form#reply { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px; background: #fff; border-top: 1px solid #ddd; position: sticky; bottom: 0; }
  form#reply input[name=text] { flex: 1 1 200px; padding: 8px; border-radius: 16px; border: 1px solid #ccc; }
  select, input, button { font: inherit; }
  #replying { font-size: 12px; color: #555; width: 100%; }
  .hidden { display: none !important; }
</style>
</head>
<body>
<div class="phone">
  <header><a id="back" href="#" title="All numbers">‹</a><h1 id="heading">Phones</h1></header>
  <form id="open"><input name="number" placeholder="Phone number, e.g. 46700000000" required pattern="\\+?[0-9]{6,15}"><button>Open</button></form>
  <div id="list"></div>
  <div id="thread" class="hidden"></div>
  <form id="reply" class="hidden">
    <div id="replying" class="hidden"></div>
    <select name="app" title="App"></select>
    <select name="channel" title="Channel"><option>WHATSAPP</option><option>RCS</option><option>SMS</option></select>
    <input name="text" placeholder="Reply as the customer" autocomplete="off">
    <button>Send</button>
    <button type="button" id="location" title="Share a location">📍</button>
  </form>
</div>
<script>
(() => {
  const match = location.pathname.match(/^(.*)\\/phone(?:\\/([^/]+))?\\/?$/);
  const base = match ? match[1] : '';
  const number = match && match[2] ? decodeURIComponent(match[2]).replace(/^\\+/, '') : null;
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = text; return e; };
  const api = async (path, init) => { const r = await fetch(base + '/_emulator' + path, init); if (!r.ok) throw new Error(r.status + ' ' + await r.text()); return r.json(); };
  $('back').href = base + '/phone';
  $('open').addEventListener('submit', (e) => { e.preventDefault(); location.href = base + '/phone/' + encodeURIComponent(e.target.number.value.replace(/^\\+/, '')); });

  async function showList() {
    const { phones } = await api('/phones');
    const list = $('list'); list.replaceChildren();
    if (phones.length === 0) list.append(el('p', 'meta', 'No conversations yet. Send a message through the API or open a number above.'));
    for (const p of phones) {
      const a = el('a'); a.href = base + '/phone/' + encodeURIComponent(p.number);
      a.append(el('strong', '', '+' + p.number), el('small', '', p.outbound + ' sent · ' + p.inbound + ' received · ' + new Date(p.last_activity).toLocaleString()));
      list.append(a);
    }
  }

  let replyTo = null;
  let lastKey = '';
  function setReplyTo(id, label) {
    replyTo = id;
    const r = $('replying');
    r.classList.toggle('hidden', id === null);
    r.textContent = id === null ? '' : '↩ replying to: ' + label + ' (click to cancel)';
  }
  $('replying').addEventListener('click', () => setReplyTo(null, ''));

  async function inject(payload) {
    const form = $('reply');
    const body = { identity: number, channel: form.channel.value, ...payload };
    if (replyTo !== null) body.reply_to = replyTo;
    await api('/apps/' + encodeURIComponent(form.app.value) + '/inbound', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    setReplyTo(null, '');
    await showThread();
  }

  function renderMedia(url) {
    const media = el('div', 'media');
    if (/\\.(png|jpe?g|gif|webp)(\\?|$)/i.test(url)) { const img = el('img'); img.src = url; img.alt = url; media.append(img); }
    else { const a = el('a', '', url); a.href = url; a.target = '_blank'; a.rel = 'noopener'; media.append(a); }
    return media;
  }

  // A link button opens its URL (no message goes back); a reply button sends a choice response, shown by its label.
  function renderButtons(list, m) {
    const buttons = el('div', 'buttons');
    for (const b of list) {
      if (b.url) {
        const a = el('a', '', '🔗 ' + b.label); a.href = b.url; a.target = '_blank'; a.rel = 'noopener';
        buttons.append(a);
        continue;
      }
      const btn = el('button', '', b.label); btn.type = 'button';
      if (b.action === 'open_url') { btn.disabled = true; btn.title = 'A link button; the sandbox does not know its URL'; }
      else btn.addEventListener('click', () => inject({ contact_message: { choice_response_message: { message_id: m.message_id, postback_data: b.postback_data } } }).catch((err) => alert(err.message)));
      buttons.append(btn);
    }
    return buttons;
  }

  function renderOutbound(m) {
    const p = m.preview || { text: '', media: [], buttons: [] };
    const cards = m.channel !== 'SMS' && p.cards ? p.cards : null;
    const box = el('div', 'msg out' + (cards ? ' carousel' : ''));
    if (p.title) box.append(el('div', 'title', p.title));
    const text = m.channel === 'SMS' && m.sms_text !== null ? m.sms_text : p.text;
    if (text && !cards) box.append(el('div', '', text));
    if (cards) {
      const row = el('div', 'cards');
      for (const c of cards) {
        const card = el('div', 'card');
        for (const url of c.media) card.append(renderMedia(url));
        if (c.title) card.append(el('div', 'title', c.title));
        if (c.text) card.append(el('div', '', c.text));
        if (c.buttons.length > 0) card.append(renderButtons(c.buttons, m));
        row.append(card);
      }
      box.append(row);
    }
    if (m.channel !== 'SMS') {
      if (!cards) for (const url of p.media) box.append(renderMedia(url));
      if (p.buttons.length > 0) box.append(renderButtons(p.buttons, m));
    }
    const last = m.statuses[m.statuses.length - 1];
    const meta = el('div', 'meta' + (m.state === 'FAILED' ? ' failed' : ''));
    meta.textContent = (m.channel || '') + ' · ' + m.state + (m.reason ? ' · ' + m.reason.code + ': ' + m.reason.description : '') + (last ? ' · ' + new Date(last.at).toLocaleTimeString() : '');
    meta.title = m.statuses.map((s) => s.at + ' ' + s.channel + ' ' + s.status + (s.reason ? ' ' + s.reason.code : '')).join('\\n');
    const rb = el('button', 'linkish', '↩ reply'); rb.type = 'button';
    rb.addEventListener('click', () => setReplyTo(m.message_id, (p.title || p.text || m.message_id).slice(0, 40)));
    meta.append(rb);
    box.append(meta);
    return box;
  }

  function renderInbound(i, labels) {
    const box = el('div', 'msg in');
    const c = i.contact_message;
    let text = '';
    if (c.text_message) text = c.text_message.text;
    else if (c.media_message) text = '📎 ' + c.media_message.url;
    else if (c.media_card_message) text = '📎 ' + c.media_card_message.url + (c.media_card_message.caption ? '\\n' + c.media_card_message.caption : '');
    else if (c.location_message) text = '📍 ' + c.location_message.coordinates.latitude + ', ' + c.location_message.coordinates.longitude + (c.location_message.title ? ' ' + c.location_message.title : '');
    else if (c.choice_response_message) {
      const r = c.choice_response_message;
      text = '👆 ' + (labels.get(r.message_id + '\\n' + r.postback_data) ?? r.postback_data);
      box.title = 'postback_data: ' + r.postback_data;
    }
    else if (c.product_response_message) text = '🛒 ' + c.product_response_message.products.map((p) => p.quantity + '× ' + p.id).join(', ');
    else if (c.fallback_message) text = '⚠ ' + (c.fallback_message.raw_message || 'unsupported content');
    box.append(el('div', '', text));
    const states = i.callbacks.map((cb) => cb.state);
    box.append(el('div', 'meta', i.channel + (c.reply_to ? ' · reply to ' + c.reply_to.message_id : '') + ' · callbacks: ' + (states.length ? states.join(', ') : 'no webhook')));
    return box;
  }

  async function showThread() {
    const data = await api('/phones/' + encodeURIComponent(number));
    const form = $('reply');
    if (form.app.options.length === 0) {
      for (const id of data.apps) form.app.append(el('option', '', id));
    }
    const lastOut = [...data.items].reverse().find((x) => x.direction === 'outbound');
    if (lastOut && !form.dataset.touched) {
      form.app.value = lastOut.message.app_id;
      form.channel.value = lastOut.message.channel === 'SMS' || lastOut.message.channel === 'RCS' ? lastOut.message.channel : 'WHATSAPP';
    }
    const key = JSON.stringify(data.items);
    if (key === lastKey) return;
    lastKey = key;
    const thread = $('thread');
    const atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    thread.replaceChildren();
    if (data.items.length === 0) thread.append(el('p', 'meta', 'Nothing yet for this number.'));
    // What a tapped button said, by (message, postback): the thread shows the label the customer tapped.
    const labels = new Map();
    for (const item of data.items) {
      if (item.direction !== 'outbound' || !item.message.preview) continue;
      const p = item.message.preview;
      for (const b of [...(p.cards || []).flatMap((c) => c.buttons), ...p.buttons]) labels.set(item.message.message_id + '\\n' + b.postback_data, b.label);
    }
    for (const item of data.items) thread.append(item.direction === 'outbound' ? renderOutbound(item.message) : renderInbound(item.inbound, labels));
    if (atBottom) thread.scrollTop = thread.scrollHeight;
  }

  async function tick() {
    try { if (number === null) await showList(); else await showThread(); } catch (err) { console.error(err); }
    setTimeout(tick, 1000);
  }

  if (number !== null) {
    $('heading').textContent = '+' + number;
    document.title = '+' + number + ' · Sinch emulator';
    $('open').classList.add('hidden'); $('list').classList.add('hidden');
    $('thread').classList.remove('hidden'); $('reply').classList.remove('hidden');
    const form = $('reply');
    form.app.addEventListener('change', () => { form.dataset.touched = '1'; });
    form.channel.addEventListener('change', () => { form.dataset.touched = '1'; });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = form.text.value.trim();
      if (text === '') return;
      form.text.value = '';
      inject({ text }).catch((err) => alert(err.message));
    });
    $('location').addEventListener('click', () => inject({ contact_message: { location_message: { coordinates: { latitude: 59.3293, longitude: 18.0686 }, title: 'Stockholm' } } }).catch((err) => alert(err.message)));
  } else {
    $('back').classList.add('hidden');
  }
  tick();
})();
</script>
</body>
</html>
`;
