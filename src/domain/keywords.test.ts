import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKeywords, matchKeyword, normalizeKeyword, startsWithKeyword, whatsappWindow, type KeywordRule } from './keywords.ts';

test('keyword matching: start of message, whole word, case- and accent-insensitive', () => {
  const cases: Array<[string, boolean]> = [
    ['stop', true], ['STOP', true], ['Stop please', true], ['STOP.', true], ['   stop', true], ['Stóp', true], ['stop!', true],
    ['\tSTOP\n', true], ['don\'t stop', false], ['STOPPED', false], ['STOPALL', false], ['', false], ['sto', false], ['unstop', false],
  ];
  for (const [text, expected] of cases) assert.equal(startsWithKeyword(text, 'STOP'), expected, JSON.stringify(text));
});

test('normalisation strips accents and case', () => {
  assert.equal(normalizeKeyword(' Désabonner '), 'DESABONNER');
  assert.equal(startsWithKeyword('désabonner svp', normalizeKeyword('DÉSABONNER')), true);
});

test('the longest keyword of the channel group wins; disabled rules and other groups never match', () => {
  const rules: KeywordRule[] = [
    { id: 'r1', keyword: 'STOP', action: 'revoke_consent', replyText: null, channelGroup: 'rcs_sms', enabled: true },
    { id: 'r2', keyword: 'STOPALL', action: 'revoke_consent', replyText: 'all', channelGroup: 'rcs_sms', enabled: true },
    { id: 'r3', keyword: 'HELP', action: 'no_action', replyText: null, channelGroup: 'whatsapp', enabled: true },
    { id: 'r4', keyword: 'INFO', action: 'no_action', replyText: null, channelGroup: 'rcs_sms', enabled: false },
  ];
  assert.equal(matchKeyword('stopall now', 'rcs_sms', rules)?.id, 'r2');
  assert.equal(matchKeyword('stop', 'rcs_sms', rules)?.id, 'r1');
  assert.equal(matchKeyword('help', 'rcs_sms', rules), undefined);
  assert.equal(matchKeyword('help me', 'whatsapp', rules)?.id, 'r3');
  assert.equal(matchKeyword('info', 'rcs_sms', rules), undefined);
});

test('defaults: revoke, grant and no-action keywords of the issue', () => {
  const by = (action: string) => defaultKeywords.filter((k) => k.action === action).map((k) => k.keyword);
  assert.deepEqual(by('revoke_consent'), ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
  assert.deepEqual(by('grant_consent'), ['START', 'JOIN', 'UNSTOP']);
  assert.deepEqual(by('no_action'), ['HELP', 'INFO']);
});

test('the WhatsApp window is 24 h from the last inbound message', () => {
  const last = new Date('2026-11-24T10:00:00Z');
  assert.deepEqual(whatsappWindow(null, last), { open: false, closesAt: null });
  assert.equal(whatsappWindow(last, new Date('2026-11-25T09:59:59Z')).open, true);
  assert.equal(whatsappWindow(last, new Date('2026-11-25T10:00:00Z')).open, false);
  assert.equal(whatsappWindow(last, last).closesAt?.toISOString(), '2026-11-25T10:00:00.000Z');
});
