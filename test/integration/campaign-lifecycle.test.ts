/**
 * Campaigns against the emulator: scheduling in a time zone, pause and resume, cancel, quiet hours in each
 * recipient's time zone, the frequency cap, consent and WhatsApp-window skips, personalisation and its errors,
 * test sends and the live report stream. Every test checks what was sent and that the report adds up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

const template = (text: string) => ({
  template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': text } } } },
});

/** `at` as the wall clock reads it in `timeZone`: 2026-12-01T09:00:05 (no offset). */
function localStamp(at: Date, timeZone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

describe('campaign lifecycle against the emulator', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    call(s.app, method, `/api/v1/projects/${s.project.id}${path}`, s.project.memberToken, body);
  const admin = (method: 'GET' | 'PUT', path: string, body?: unknown) =>
    call(s.app, method, `/api/v1/projects/${s.project.id}${path}`, s.project.adminToken, body);
  const customers = async (items: unknown[]) => {
    const r = await api('POST', '/customers:batch', { customers: items });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.data.every((d: any) => d.status !== 'invalid'), JSON.stringify(r.body));
  };
  const create = async (body: Record<string, unknown>) => {
    const r = await api('POST', '/campaigns', { channel: 'whatsapp', ...body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const campaign = async (id: string) => (await api('GET', `/campaigns/${id}`)).body;
  const report = async (id: string) => (await api('GET', `/campaigns/${id}/report`)).body;
  const messagesOf = async (id: string) => (await api('GET', `/messages?campaign_id=${id}&limit=1000`)).body.data as any[];
  const untilStatus = (id: string, status: string) => waitFor(async () => {
    const c = await campaign(id);
    return c.status === status ? c : undefined;
  }, `campaign ${id} to be ${status}`);
  /** Every message handed over or refused, and every report of the handed-over ones in (read, failed, rejected). */
  const settled = (id: string) => waitFor(async () => {
    const r = await report(id);
    const handed = r.statuses.enqueued + r.statuses.enqueued_failed;
    return handed === r.messages && r.statuses.read + r.statuses.failed + r.statuses.rejected + r.statuses.enqueued_failed >= r.messages ? r : undefined;
  }, `campaign ${id}'s report to settle`);
  /** audience = skipped + messages, and the messages listed are those counted, each recipient once. */
  const addsUp = async (id: string, r: any) => {
    assert.equal(r.audience, r.skipped.total + r.messages, `audience = skipped + messages: ${JSON.stringify(r)}`);
    assert.equal(Object.values(r.skipped.by_reason as Record<string, number>).reduce((a, b) => a + b, 0), r.skipped.total);
    const listed = await messagesOf(id);
    assert.equal(listed.length, r.messages);
    assert.equal(new Set(listed.map((m) => m.to)).size, listed.length, 'one message per recipient');
    assert.equal(r.statuses.enqueued + r.statuses.enqueued_failed, r.messages, 'each message handed over or refused once');
    assert.equal(r.statuses.enqueued, listed.filter((m) => m.status !== 'enqueued_failed').length);
  };

  test('campaign messages go as marketing with their ttl: a message not delivered in time expires (MESSAGE_EXPIRED)', async () => {
    await customers([{ phone: '+46732090005', tags: ['ttl'] }, { phone: '+46732090020', tags: ['ttl'] }]);
    const bad = await api('POST', '/campaigns', { name: 'x', channel: 'whatsapp', content: template('Hi'), audience: { all: true }, ttl_seconds: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'ttl_seconds');
    const id = await create({ name: 'Flash sale', content: template('Today only'), audience: { filter: { tag: 'ttl' } }, ttl_seconds: 3 });
    assert.equal((await campaign(id)).ttl_seconds, 3);
    assert.equal((await api('POST', `/campaigns/${id}/launch`)).status, 200);
    await untilStatus(id, 'completed');
    const r = await settled(id);
    await addsUp(id, r);
    assert.equal(r.messages, 2);
    const listed = await messagesOf(id);
    // What Sinch received: marketing content type and the ttl, on every message of the campaign.
    for (const m of listed) {
      const atSinch = await s.control('GET', `/messages/${m.provider_message_id}`) as { request: Record<string, unknown> };
      assert.equal(atSinch.request.message_content_type, 'CONTENT_MARKETING');
      assert.equal(atSinch.request.ttl, '3s');
    }
    // …0005 stays queued at the channel: its ttl ran out and Sinch dropped it; the other was read in time.
    const stale = listed.find((m) => m.to === '+46732090005');
    assert.equal(stale.status, 'failed');
    assert.equal(stale.error, 'MESSAGE_EXPIRED');
    assert.equal(listed.find((m) => m.to === '+46732090020').status, 'read');
    // A message sent through the API is not marketing and has no ttl.
    const single = await api('POST', '/messages', { channel: 'whatsapp', to: '+46732090020', message: template('Receipt') });
    const sent = await waitFor(async () => {
      const m = (await api('GET', `/messages/${single.body.id}`)).body;
      return m.provider_message_id ? m : undefined;
    }, 'the API message to reach Sinch');
    const request = (await s.control('GET', `/messages/${sent.provider_message_id}`) as { request: Record<string, unknown> }).request;
    assert.equal(request.message_content_type, undefined);
    assert.equal(request.ttl, undefined);
  });

  test('scheduled at a local time in the campaign\'s time zone: scheduled until then, nothing handed over earlier', async () => {
    await customers([1, 2, 3].map((i) => ({ phone: `+4673201000${i}`, tags: ['sched'], attributes: { first_name: `S${i}` } })));
    const bad = await api('POST', '/campaigns', { name: 'x', channel: 'whatsapp', content: template('Hi'), audience: { tag: 'x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'audience.tag');
    const badTime = await api('POST', '/campaigns', { name: 'x', channel: 'whatsapp', content: template('Hi'), audience: { all: true }, send_at: 'tomorrow at nine' });
    assert.equal(badTime.status, 400);
    assert.equal(badTime.body.error.field, 'send_at');

    const at = new Date(Math.ceil((Date.now() + 2500) / 1000) * 1000);
    const id = await create({
      name: 'Scheduled', content: template('Hi {{ first_name }}'), audience: { filter: { tag: 'sched' } },
      time_zone: 'Asia/Kolkata', send_at: localStamp(at, 'Asia/Kolkata'),
    });
    assert.equal((await campaign(id)).send_at, at.toISOString(), 'the local time is read in Asia/Kolkata');
    const launched = await api('POST', `/campaigns/${id}/launch`);
    assert.equal(launched.body.status, 'scheduled', JSON.stringify(launched.body));
    const edit = await api('PATCH', `/campaigns/${id}`, { name: 'Scheduled (renamed)' });
    assert.equal(edit.status, 200, 'a scheduled campaign can still be edited');
    await untilStatus(id, 'completed');
    const r = await settled(id);
    await addsUp(id, r);
    assert.equal(r.messages, 3);
    for (const m of await messagesOf(id)) {
      const full = await s.getMessage(m.id as string);
      const attempt = full.timeline.find((e: any) => e.kind === 'attempt');
      assert.ok(Date.parse(attempt.at) >= at.getTime(), `${m.to} was attempted at ${attempt.at}, before ${at.toISOString()}`);
    }
    assert.ok(Date.parse((await campaign(id)).launched_at) >= at.getTime());
  });

  test('pause holds every waiting message, resume sends the rest, nobody twice; consent revoked meanwhile is respected when sent', async () => {
    const phones = Array.from({ length: 8 }, (_, i) => `+4673201010${i}`);
    await customers(phones.map((phone) => ({ phone, tags: ['pause'] })));
    const id = await create({ name: 'Pausing', content: template('Hello'), audience: { filter: { tag: 'pause' } }, throttle_per_second: 4 });
    await api('POST', `/campaigns/${id}/launch`);
    await waitFor(async () => ((await campaign(id)).progress.handed_over >= 2 ? true : undefined), 'two messages handed over');
    const paused = await api('POST', `/campaigns/${id}/pause`);
    assert.equal(paused.body.status, 'paused', JSON.stringify(paused.body));
    // Once the sends in flight at the pause have finished, nothing of the campaign is held or due.
    const db = s.database.db.kysely;
    const waiting = await waitFor(async () => {
      const rows = await db.selectFrom('messages').select(['recipient', 'locked_by', 'next_attempt_at']).where('campaign_ref', '=', id).where('status', '=', 'queued').execute();
      return rows.every((r) => r.locked_by === null) ? rows : undefined;
    }, 'sends in flight to finish');
    assert.ok(waiting.length > 0, 'the throttle left messages waiting at the pause');
    assert.deepEqual(waiting.filter((r) => r.next_attempt_at !== null), [], 'no waiting message is due while paused');
    assert.equal((await api('PATCH', `/campaigns/${id}`, { name: 'x' })).status, 409, 'a paused campaign is not edited');
    assert.equal((await api('POST', `/campaigns/${id}/pause`)).status, 409);

    // Meanwhile one waiting recipient opts out: resume must not send to them.
    const optOut = waiting[0]!.recipient;
    await customers([{ phone: optOut, consent: { whatsapp: 'revoked' } }]);
    const resumedAt = Date.now();
    const resumed = await api('POST', `/campaigns/${id}/resume`);
    assert.equal(resumed.body.status, 'running', JSON.stringify(resumed.body));
    await untilStatus(id, 'completed');
    const r = await settled(id);
    await addsUp(id, r);
    assert.equal(r.messages, 8);
    const list = await messagesOf(id);
    assert.deepEqual(list.map((m) => m.to).sort(), phones);
    const refused = list.find((m) => m.to === optOut);
    assert.equal(refused.status, 'enqueued_failed');
    assert.equal(r.errors.find((e: any) => e.code === refused.error)?.count, 1, JSON.stringify(r.errors));
    for (const w of waiting.filter((x) => x.recipient !== optOut)) {
      const m = list.find((x) => x.to === w.recipient);
      const attempt = (await s.getMessage(m.id as string)).timeline.find((e: any) => e.kind === 'attempt');
      assert.ok(Date.parse(attempt.at) >= resumedAt - 5, `${w.recipient} went at ${attempt.at}, while paused`);
    }
    assert.equal(r.statuses.read, 7, JSON.stringify(r));
    const sinch = await s.control('GET', '/messages?app_id=sandbox-app&limit=10000');
    const ours = new Set(list.map((m) => m.id as string));
    const atSinch = (sinch.messages as any[]).filter((m) => ours.has(m.request.message_metadata as string));
    assert.equal(atSinch.length, 7, 'Sinch got each consenting recipient once');
    assert.equal(new Set(atSinch.map((m) => m.request.message_metadata)).size, 7);
  });

  test('cancel: what was not handed over is never sent and is counted as CAMPAIGN_CANCELLED', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => `+4673201020${i}`);
    await customers(phones.map((phone) => ({ phone, tags: ['cancel'] })));
    const id = await create({ name: 'Cancelling', content: template('Hello'), audience: { filter: { tag: 'cancel' } }, throttle_per_second: 2 });
    await api('POST', `/campaigns/${id}/launch`);
    await waitFor(async () => ((await campaign(id)).progress.handed_over >= 1 ? true : undefined), 'a message handed over');
    const cancelled = await api('POST', `/campaigns/${id}/cancel`);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal((await api('POST', `/campaigns/${id}/resume`)).status, 409);
    assert.equal((await api('POST', `/campaigns/${id}/launch`)).status, 409);
    const r = await settled(id);
    await addsUp(id, r);
    const list = await messagesOf(id);
    const stopped = list.filter((m) => m.status === 'enqueued_failed');
    assert.ok(stopped.length >= 1, 'the throttle left some not handed over');
    assert.ok(stopped.every((m) => m.error === 'CAMPAIGN_CANCELLED'), JSON.stringify(stopped));
    assert.equal(r.errors.find((e: any) => e.code === 'CAMPAIGN_CANCELLED')?.count, stopped.length);
    assert.equal((await campaign(id)).status, 'cancelled');

    // The exports: the report as CSV, and every message with its status.
    const exported = async (part: string) => {
      const res = await s.app.inject({ method: 'GET', url: `/api/v1/projects/${s.project.id}/campaigns/${id}/report/export?part=${part}`, headers: { authorization: `Bearer ${s.project.memberToken}` } });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /text\/csv/);
      return res.body.trim().split('\r\n');
    };
    const summary = await exported('summary');
    assert.ok(summary.includes('audience,6'), summary.join('\n'));
    assert.ok(summary.includes(`error:CAMPAIGN_CANCELLED,${stopped.length}`));
    const rows = await exported('messages');
    assert.equal(rows[0], 'message_id,recipient,status,error,error_description,current_channel,possible_duplicate,created_at,updated_at');
    assert.deepEqual(rows.slice(1).map((r) => r.split(',')[0]).sort(), list.map((m) => m.id as string).sort());
    assert.equal(rows.filter((r) => r.includes(',enqueued_failed,CAMPAIGN_CANCELLED,')).length, stopped.length);
  });

  test('quiet hours in each recipient\'s time zone: one waits until they end, the other is sent now', async () => {
    // Quiet from an hour ago until two hours from now in Kolkata, which is 13.5 h from Los Angeles.
    const now = new Date();
    const hhmm = (d: Date) => localStamp(d, 'Asia/Kolkata').slice(11, 16);
    const quiet = { start: hhmm(new Date(now.getTime() - 3_600_000)), end: hhmm(new Date(now.getTime() + 7_200_000)) };
    const endsAt = Math.floor(now.getTime() / 60_000) * 60_000 + 7_200_000;
    await customers([
      { phone: '+46732010301', tags: ['quiet'], time_zone: 'Asia/Kolkata' },
      { phone: '+46732010302', tags: ['quiet'], time_zone: 'America/Los_Angeles' },
    ]);
    const id = await create({ name: 'Quiet', content: template('Hello'), audience: { filter: { tag: 'quiet' } }, quiet_hours: quiet, time_zone: 'Europe/Stockholm' });
    await api('POST', `/campaigns/${id}/launch`);
    const messageTo = async (phone: string) => (await messagesOf(id)).find((m) => m.to === phone);
    const la = await waitFor(async () => {
      const m = await messageTo('+46732010302');
      return m !== undefined && m.status !== 'queued' ? m : undefined;
    }, 'the Los Angeles message');
    assert.notEqual(la.status, 'enqueued_failed');
    const kolkata = await waitFor(async () => {
      const m = await messageTo('+46732010301');
      return m?.send_at !== null && m?.send_at !== undefined ? m : undefined;
    }, 'the Kolkata message to be deferred');
    assert.equal(kolkata.status, 'queued');
    assert.ok([endsAt, endsAt + 60_000].includes(Date.parse(kolkata.send_at as string)), `deferred until ${kolkata.send_at as string}, quiet hours end ${new Date(endsAt).toISOString()}`);
    assert.equal((await campaign(id)).status, 'running');
    await api('POST', `/campaigns/${id}/cancel`);
    const r = await settled(id);
    await addsUp(id, r);
    assert.equal((await messageTo('+46732010301')).error, 'CAMPAIGN_CANCELLED');
  });

  test('the frequency cap: skipped when the campaign starts, refused when sent', async () => {
    const put = await admin('PUT', '/settings/frequency-cap', { frequency_cap: { max: 1, period: 'day' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    try {
      await customers([{ phone: '+46732010401', tags: ['cap'] }, { phone: '+46732010402', tags: ['cap'] }]);
      const first = await create({ name: 'Cap 1', content: template('One'), audience: { filter: { tag: 'cap' } } });
      await api('POST', `/campaigns/${first}/launch`);
      await untilStatus(first, 'completed');
      await addsUp(first, await settled(first));

      const second = await create({ name: 'Cap 2', content: template('Two'), audience: { filter: { tag: 'cap' } } });
      await api('POST', `/campaigns/${second}/launch`);
      await untilStatus(second, 'completed');
      const r = await settled(second);
      await addsUp(second, r);
      assert.deepEqual(r.skipped.by_reason, { frequency_cap: 2 });
      const skipped = (await api('GET', `/campaigns/${second}/skipped`)).body.data;
      assert.deepEqual(skipped.map((x: any) => [x.phone, x.reason]).sort(), [['+46732010401', 'frequency_cap'], ['+46732010402', 'frequency_cap']]);

      // A campaign whose message to a customer is already written when another campaign reaches them first: the
      // cap is checked again when the message goes, and it is refused (FREQUENCY_CAPPED).
      await customers([{ phone: '+46732010403', tags: ['cap2'] }, { phone: '+46732010404', tags: ['cap2'] }]);
      const slow = await create({ name: 'Cap slow', content: template('Slow'), audience: { filter: { tag: 'cap2' } }, throttle_per_second: 0.1 });
      await api('POST', `/campaigns/${slow}/launch`);
      await waitFor(async () => ((await campaign(slow)).progress.fanout_done ? true : undefined), 'the slow campaign\'s fan-out');
      await api('POST', `/campaigns/${slow}/pause`);
      const fast = await create({ name: 'Cap fast', content: template('Fast'), audience: { filter: { tag: 'cap2' } } });
      await api('POST', `/campaigns/${fast}/launch`);
      await untilStatus(fast, 'completed');
      const rf = await settled(fast);
      await addsUp(fast, rf);
      // The slow campaign's first message went before the pause; its second is written but waits.
      assert.deepEqual(rf.skipped.by_reason, { frequency_cap: 1 });
      await api('POST', `/campaigns/${slow}/resume`);
      await untilStatus(slow, 'completed');
      const rs = await settled(slow);
      await addsUp(slow, rs);
      assert.deepEqual(rs.errors.map((e: any) => [e.code, e.count]), [['FREQUENCY_CAPPED', 1]]);
      const capped = (await messagesOf(slow)).find((m) => m.status === 'enqueued_failed');
      assert.equal(capped.to, '+46732010404');
      assert.match(capped.error_description, /already got 1 campaign message this day/);
    } finally {
      await admin('PUT', '/settings/frequency-cap', { frequency_cap: null });
    }
  });

  test('consent and the WhatsApp 24 h window: free-form content skips who revoked and who has not written in a day', async () => {
    await customers([
      { phone: '+46732010501', tags: ['window'], consent: { whatsapp: 'revoked' } },
      { phone: '+46732010502', tags: ['window'] },
      { phone: '+46732010503', tags: ['window'] },
    ]);
    await s.control('POST', '/apps/sandbox-app/inbound', { channel: 'WHATSAPP', identity: '46732010503', text: 'hi' });
    await waitFor(async () => ((await api('GET', '/customers/%2B46732010503')).body.whatsapp_window?.open === true ? true : undefined), 'the inbound message');
    const id = await create({ name: 'Window', content: { text_message: { text: 'Free-form hello' } }, audience: { filter: { tag: 'window' } } });
    await api('POST', `/campaigns/${id}/launch`);
    await untilStatus(id, 'completed');
    const r = await settled(id);
    await addsUp(id, r);
    assert.deepEqual(r.skipped.by_reason, { consent_revoked: 1, outside_whatsapp_window: 1 });
    assert.deepEqual((await messagesOf(id)).map((m) => m.to), ['+46732010503']);
  });

  test('personalisation: errors named at creation, a missing attribute skips with its name or renders empty, limits checked on the rendered text', async () => {
    const broken = await api('POST', '/campaigns', { name: 'x', channel: 'rcs', content: { text_message: { text: 'Hi {{ first_name ' } }, audience: { all: true } });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.field, 'content.text_message.text');
    const unknownFilter = await api('POST', '/campaigns', { name: 'x', channel: 'rcs', content: { text_message: { text: 'Hi {{ first_name | shout }}' } }, audience: { all: true } });
    assert.equal(unknownFilter.status, 400);
    assert.match(unknownFilter.body.error.message, /shout/);

    await customers([
      { phone: '+46732010601', tags: ['pers'], attributes: { first_name: 'Ann', bio: 'short' } },
      { phone: '+46732010602', tags: ['pers'], attributes: { bio: 'none' } },
      { phone: '+46732010603', tags: ['pers'], attributes: { first_name: 'Long', bio: 'x'.repeat(3100) } },
    ]);
    const content = { text_message: { text: 'Hi {{ first_name }}! {{ bio }}' } };
    const id = await create({ name: 'Personal', channel: 'rcs', content, audience: { filter: { tag: 'pers' } } });
    const missing = await api('POST', `/campaigns/${id}/preview`, { phone: '+46732010602' });
    assert.equal(missing.body.problems[0].code, 'MISSING_ATTRIBUTE');
    assert.match(missing.body.problems[0].message, /first_name/);
    const long = await api('POST', `/campaigns/${id}/preview`, { phone: '+46732010603' });
    assert.equal(long.body.problems[0].code, 'CONTENT_INVALID');
    assert.match(long.body.problems[0].message, /3072/);
    await api('POST', `/campaigns/${id}/launch`);
    await untilStatus(id, 'completed');
    const r = await settled(id);
    await addsUp(id, r);
    assert.deepEqual(r.skipped.by_reason, { missing_attribute: 1 });
    assert.deepEqual((await api('GET', `/campaigns/${id}/skipped`)).body.data.map((x: any) => [x.phone, x.detail]), [['+46732010602', 'first_name']]);
    const list = await messagesOf(id);
    assert.equal(list.find((m) => m.to === '+46732010601').message.text_message.text, 'Hi Ann! short');
    const tooLong = list.find((m) => m.to === '+46732010603');
    assert.equal(tooLong.status, 'enqueued_failed');
    assert.equal(tooLong.error, 'CONTENT_INVALID');

    const empty = await create({ name: 'Empty', channel: 'rcs', content: { text_message: { text: 'Hi {{ first_name }}!' } }, audience: { filter: { tag: 'pers' } }, on_missing_attribute: 'empty' });
    const preview = await api('POST', `/campaigns/${empty}/preview`, { phone: '+46732010602' });
    assert.equal(preview.body.content.text_message.text, 'Hi !');
  });

  test('a test send goes to the numbers given, personalised, and counts in no report; the report streams live', { timeout: 60_000 }, async () => {
    await customers([{ phone: '+46732010701', tags: ['live'], attributes: { first_name: 'Tess' } }]);
    const id = await create({ name: 'Live', content: template('Hi {{ first_name | default: "friend" }}'), audience: { filter: { tag: 'live' } } });
    const sent = await api('POST', `/campaigns/${id}/test`, { to: ['+46732010701', '+46732010799'] });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.deepEqual(sent.body.data.map((m: any) => m.message.template_message.channel_template.WHATSAPP.parameters['body[1]text']), ['Hi Tess', 'Hi friend']);
    assert.equal((await report(id)).messages, 0);

    const controller = new AbortController();
    const res = await fetch(`${s.baseUrl}/api/v1/projects/${s.project.id}/campaigns/${id}/report/stream`, {
      headers: { authorization: `Bearer ${s.project.memberToken}` }, signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const reports: any[] = [];
    const nextReport = async (predicate: (r: any) => boolean) => {
      for (;;) {
        const found = reports.find(predicate);
        if (found !== undefined) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (data !== '') reports.push(JSON.parse(data));
        }
      }
    };
    const first = await nextReport(() => true);
    assert.equal(first.status, 'draft');
    await api('POST', `/campaigns/${id}/launch`);
    const read = await nextReport((r) => r.statuses.read === 1);
    assert.equal(read.messages, 1);
    controller.abort();
  });
});
