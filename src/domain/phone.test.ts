import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePhone } from './phone.ts';

test('normalises international numbers to E.164', () => {
  assert.deepEqual(normalizePhone('+46 73 200 00 01'), { ok: true, e164: '+46732000001' });
  assert.deepEqual(normalizePhone('0046732000001'), { ok: true, e164: '+46732000001' });
  assert.deepEqual(normalizePhone(' +1 (415) 555-2671 '), { ok: true, e164: '+14155552671' });
});

test('rejects national, impossible and invalid numbers with a reason', () => {
  const national = normalizePhone('0732000001');
  assert.equal(national.ok, false);
  assert.match(!national.ok ? national.reason : '', /international/);
  assert.equal(normalizePhone('+4612').ok, false);
  assert.equal(normalizePhone('hello').ok, false);
  assert.equal(normalizePhone('+1 000 000 0000').ok, false);
});

test('refuses what libphonenumber would cut off: an extension, trailing text, NUL, other digits than ASCII', () => {
  for (const junk of ['+46732000001;ext=123', '+46732000001 ext. 5', '+46732000001 x12', '+46732000001abc', '+46732000001\u0000', '+46732000001/', '+46732000001,,', '+４６７３２００００１', '++46732000001']) {
    const r = normalizePhone(junk);
    assert.equal(r.ok, false, JSON.stringify(junk));
  }
  assert.deepEqual(normalizePhone('+46-73-200-00-01'), { ok: true, e164: '+46732000001' });
  assert.deepEqual(normalizePhone('+46.73.200.00.01'), { ok: true, e164: '+46732000001' });
  assert.deepEqual(normalizePhone('+46 (73) 200 00 01'), { ok: true, e164: '+46732000001' });
});
