import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileContent, renderContent } from './personalize.ts';

const ada = { id: 'cus_1', phone: '+46732001122', tags: ['vip'], attributes: { first_name: 'Ada', phone: 'not the phone' } };

function compiled(text: string) {
  const result = compileContent({ text_message: { text } });
  assert.ok(result.ok);
  return result.compiled;
}

test('an attribute reads the same by its name and under customer.; id, phone and tags stay the customer\'s own', () => {
  const c = compiled('{{ first_name }} / {{ customer.first_name }} / {{ customer.phone }} / {{ customer.id }} / {{ customer.tags | join: "," }}');
  assert.deepEqual(c.used, ['first_name']);
  assert.deepEqual(c.required, ['first_name']);
  const r = renderContent(c, ada, { renderEmpty: false });
  assert.deepEqual(r, { ok: true, content: { text_message: { text: 'Ada / Ada / +46732001122 / cus_1 / vip' } } });
});

test('customer.<attribute> without a default is required: a customer without it is skipped, or renders empty when asked', () => {
  const c = compiled('Hi {{ customer.city }}{{ customer.nick | default: "" }}');
  assert.deepEqual(c.used, ['city', 'nick']);
  assert.deepEqual(c.required, ['city']);
  assert.deepEqual(renderContent(c, ada, { renderEmpty: false }), { ok: false, reason: 'missing_attribute', missing: ['city'] });
  assert.deepEqual(renderContent(c, ada, { renderEmpty: true }), { ok: true, content: { text_message: { text: 'Hi ' } } });
});
