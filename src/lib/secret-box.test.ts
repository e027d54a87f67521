import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretBox, generateKeyText, hashToken } from './secret-box.ts';

test('seals and opens; the sealed text does not contain the secret and differs each time', () => {
  const box = createSecretBox([generateKeyText()]);
  const a = box.seal('s3cr3t-value');
  const b = box.seal('s3cr3t-value');
  assert.notEqual(a, b);
  assert.ok(!a.includes('s3cr3t'));
  assert.equal(box.open(a), 's3cr3t-value');
  assert.equal(a.split('.')[1], box.currentKeyId);
});

test('rotation: a new first key seals, the old key still opens old values', () => {
  const oldKey = generateKeyText();
  const sealedOld = createSecretBox([oldKey]).seal('old');
  const rotated = createSecretBox([generateKeyText(), oldKey]);
  assert.equal(rotated.open(sealedOld), 'old');
  assert.notEqual(rotated.seal('new').split('.')[1], sealedOld.split('.')[1]);
  assert.throws(() => createSecretBox([generateKeyText()]).open(sealedOld), /unknown key/);
});

test('tampering is detected', () => {
  const box = createSecretBox([generateKeyText()]);
  const parts = box.seal('value').split('.');
  parts[4] = Buffer.from('other').toString('base64url');
  assert.throws(() => box.open(parts.join('.')));
});

test('token hash is stable and not the token', () => {
  assert.equal(hashToken('abc'), hashToken('abc'));
  assert.notEqual(hashToken('abc'), 'abc');
  assert.equal(hashToken('abc').length, 64);
});
