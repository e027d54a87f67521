/**
 * The campaign builder's RCS rich card and carousel editor in a real browser (Debian's chromium through
 * playwright-core) against the real service (`node src/main.ts`, SQLite, the built-in sandbox): a rich card with a
 * personalised title and two reply chips, previewed for a customer, saved, launched and read on the sandbox phone;
 * counters that turn red and keep an over-long card from being saved; the service's own refusal shown at the field
 * it names; a carousel saved as `carousel_message`. The project is set up through the API (first admin, project,
 * SANDBOX integration, default providers, a customer), as console.test.ts does through the UI.
 * On failure a screenshot goes to test-results/ (gitignored).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../../bench/lib/proc.ts';
import { browserSteps, chromiumArgs, chromiumPath } from '../helpers/browser.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { contentLimits } from '../../src/domain/app-message-rules.ts';
import { rcsLimits } from '../../console/src/rcs-content.ts';

const root = path.join(import.meta.dirname, '..', '..');

let service: RunningService | undefined;
const { watch, step, shot, pageErrors } = browserSteps('rcs-card', () => service?.output() ?? '');
let browser: Browser | undefined;
let base = '';
let dataDir = '';
let adminToken = '';
let projectId = '';
const phone = '+46732001155';

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${route}`, {
    method, headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function ok(method: string, route: string, body?: unknown): Promise<any> {
  const res = await api(method, route, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}




before(async () => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium (.ci/run does it)`);
  const built = spawnSync(process.execPath, ['scripts/build-console.ts', '--if-stale'], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  dataDir = mkdtempSync(path.join(tmpdir(), 'mm-rcs-card-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = await startService({ dataDir, port });
  adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  // What a new user does in the console first (console.test.ts does it through the UI), through the API.
  await ok('POST', '/api/v1/setup/first-admin', { email: 'ana@example.com', password: 'correct horse battery' });
  projectId = (await ok('POST', '/api/v1/projects', { name: 'Shop' })).id;
  const integration = await ok('POST', `/api/v1/projects/${projectId}/integrations`, {
    provider: 'sinch_mobile_messaging', name: 'Sandbox', sinch_project_id: 'sandbox-project', app_id: 'sandbox-app',
    access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'SANDBOX',
    senders: { whatsapp: '+46732000000', rcs: 'sandbox-agent', sms: '+46732000099' },
  });
  await ok('PUT', `/api/v1/projects/${projectId}/settings/channels`, { whatsapp_integration_id: integration.id, rcs_integration_id: integration.id });
  const customers = await ok('POST', `/api/v1/projects/${projectId}/customers:batch`, { customers: [{ phone, attributes: { first_name: 'Ada' } }] });
  assert.equal(customers.data[0].status, 'created', JSON.stringify(customers));
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});

after(async () => {
  await browser?.close();
  await service?.stop();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
});

test('the builder\'s RCS limits are the service\'s', () => {
  const { rcs, carouselCards, carouselChoices } = contentLimits;
  assert.deepEqual(
    { text: rcsLimits.text, cardTitle: rcsLimits.cardTitle, cardDescription: rcsLimits.cardDescription, cardChoices: rcsLimits.cardChoices, suggestionText: rcsLimits.suggestionText, carouselCards: rcsLimits.carouselCards, carouselChoices: rcsLimits.carouselChoices },
    { text: rcs.text, cardTitle: rcs.cardTitle, cardDescription: rcs.cardDescription, cardChoices: rcs.cardChoices, suggestionText: rcs.suggestionText, carouselCards, carouselChoices },
  );
});

test('an RCS rich card with reply chips: built, previewed for a customer, saved, launched and read', { timeout: 170_000 }, async () => {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watch(page);
  page.setDefaultTimeout(20_000);
  const form = page.getByRole('form', { name: 'New campaign' });
  const preview = page.getByRole('img', { name: 'RCS preview' });
  const title = 'Hi {{ first_name }}, spring is here';
  let campaignId = '';

  await step('sign in and open the builder', page, async () => {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByRole('textbox', { name: /^Password/ }).fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname !== '/sign-in');
    await page.goto(`${base}/p/${projectId}/campaigns`);
    await page.getByRole('button', { name: 'New campaign' }).click();
    await form.getByLabel('Name').fill('Spring card');
    await form.locator('label', { hasText: /^RCS$/ }).click();
    await form.getByText('1 customers').waitFor();
    await form.locator('label', { hasText: /^Rich card$/ }).click();
  });

  await step('a personalised title, a description, an image and two reply chips in the preview', page, async () => {
    // An attribute reads the same under customer. as by its name, in the preview as when sent.
    await form.getByRole('textbox', { name: 'Title' }).fill('Hi {{ customer.first_name }}, spring is here');
    await preview.getByTestId('preview-card-title').getByText('Hi Ada, spring is here', { exact: true }).waitFor();
    await form.getByRole('textbox', { name: 'Title' }).fill(title);
    await preview.getByTestId('preview-card-title').getByText('Hi Ada, spring is here', { exact: true }).waitFor();
    await form.getByRole('textbox', { name: 'Description' }).fill('{{ first_name | default: "Friend" }}, 20% off everything until Sunday.');
    await preview.getByTestId('preview-card-description').getByText('Ada, 20% off everything until Sunday.').waitFor();
    await form.getByRole('textbox', { name: 'Media URL' }).fill('https://images.example.com/spring.jpg');
    // The console's policy loads no other site's images: the box names the host.
    await preview.getByTestId('preview-media').getByText('images.example.com').waitFor();
    await form.getByRole('button', { name: 'Add reply chip' }).click();
    await form.getByRole('textbox', { name: 'Suggestion 1', exact: true }).fill('Show me');
    await form.getByRole('button', { name: 'Add reply chip' }).click();
    await form.getByRole('textbox', { name: 'Suggestion 2', exact: true }).fill('Not now');
    await preview.getByTestId('preview-chip').nth(1).getByText('Not now').waitFor();
    assert.deepEqual(await preview.getByTestId('preview-chip').allInnerTexts(), ['Show me', 'Not now']);
    await shot(page, 'rcs-card-builder');
  });

  await step('an over-long title turns its counter red and keeps the card from being saved', page, async () => {
    const titleBox = form.getByRole('textbox', { name: 'Title' });
    await titleBox.fill('x'.repeat(contentLimits.rcs.cardTitle + 3));
    const counter = form.getByText(`3 over the limit of ${contentLimits.rcs.cardTitle}`);
    await counter.waitFor();
    const color = await counter.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color);
    const [r, g, b] = (/rgb\((\d+), (\d+), (\d+)/.exec(color) ?? []).slice(1).map(Number);
    assert.ok(r! > 180 && g! < 120 && b! < 120, `the counter is red, not ${color}`);
    assert.equal(await form.getByRole('button', { name: 'Save draft' }).isDisabled(), true);
    await form.getByTestId('save-blocked').getByText('The card\'s title is 3 characters over the RCS limit of 200').waitFor();
    await titleBox.fill(title);
    await form.getByText(`${contentLimits.rcs.cardTitle - title.length} of ${contentLimits.rcs.cardTitle} left`).waitFor();
    assert.equal(await form.getByRole('button', { name: 'Save draft' }).isDisabled(), false);
  });

  await step('the service\'s refusal shows at the field it names', page, async () => {
    const titleBox = form.getByRole('textbox', { name: 'Title' });
    await titleBox.fill('Hi {{ first_name | shout }}');
    await form.getByRole('button', { name: 'Save draft' }).click();
    const error = form.getByText(/content\.card_message\.title is not a valid Liquid template/);
    await error.waitFor();
    // Under the title (the input it describes), not in the form's alert.
    const describedBy = (await titleBox.getAttribute('aria-describedby'))?.split(' ') ?? [];
    assert.ok(describedBy.includes((await error.getAttribute('id'))!), `the error describes the title (${describedBy.join(' ')})`);
    assert.equal(await form.getByRole('alert').count(), 0);
    await titleBox.fill(title);
  });

  await step('saved and launched: the card reaches the phone personalised and is read', page, async () => {
    await form.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(/\/campaigns\/cmp_/);
    campaignId = /\/campaigns\/(cmp_[^/?#]+)/.exec(page.url())![1]!;
    const campaign = await ok('GET', `/api/v1/projects/${projectId}/campaigns/${campaignId}`);
    assert.equal(campaign.channel, 'rcs');
    assert.deepEqual(campaign.content, {
      card_message: {
        title,
        description: '{{ first_name | default: "Friend" }}, 20% off everything until Sunday.',
        media_message: { url: 'https://images.example.com/spring.jpg' },
        choices: [{ text_message: { text: 'Show me' } }, { text_message: { text: 'Not now' } }],
      },
    });
    // The service's own preview for the customer agrees with the builder's.
    const rendered = await ok('POST', `/api/v1/projects/${projectId}/campaigns/${campaignId}/preview`, { phone });
    assert.deepEqual(rendered.problems, []);
    assert.equal(rendered.content.card_message.title, 'Hi Ada, spring is here');
    // The campaign's page shows the card as written, then as the customer asked for gets it (the service's preview).
    const content = page.getByRole('img', { name: 'RCS preview' });
    await content.getByTestId('preview-card-title').getByText(title, { exact: true }).waitFor();
    await content.getByRole('button', { name: 'Not now' }).or(content.getByText('Not now', { exact: true })).first().waitFor();
    await page.getByLabel('Preview for a customer (phone)').fill(phone);
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await content.getByTestId('preview-card-title').getByText('Hi Ada, spring is here', { exact: true }).waitFor();
    await content.getByTestId('preview-card-description').getByText('Ada, 20% off everything until Sunday.').waitFor();
    await page.getByRole('button', { name: 'Launch' }).click();
    await page.locator('[data-funnel="read"]', { hasText: '1' }).waitFor({ timeout: 60_000 });
    await page.locator('[data-campaign-status="completed"]').waitFor({ timeout: 60_000 });
    const message = await waitFor(async () => {
      const list = await ok('GET', `/api/v1/projects/${projectId}/messages?campaign_id=${campaignId}`);
      return list.data.length === 1 && list.data[0].status === 'read' ? list.data[0] : undefined;
    }, 'the campaign message to be read');
    assert.equal(message.to, phone);
    // What Sinch (the sandbox) received: the card, personalised, with both chips.
    const received = await fetch(`${base}/sandbox/_emulator/messages?app_id=sandbox-app&recipient=${phone.slice(1)}`).then((r) => r.json()) as { messages: Array<{ request: { message: Record<string, any> } }> };
    const card = received.messages.at(-1)?.request.message.card_message;
    assert.equal(card?.title, 'Hi Ada, spring is here');
    assert.equal(card?.description, 'Ada, 20% off everything until Sunday.');
    assert.deepEqual(card?.choices, [{ text_message: { text: 'Show me' } }, { text_message: { text: 'Not now' } }]);
  });

  await step('a carousel: cards added and removed, a URL chip, saved as carousel_message', page, async () => {
    await page.goto(`${base}/p/${projectId}/campaigns`);
    await page.getByRole('button', { name: 'New campaign' }).click();
    await form.getByLabel('Name').fill('Spring carousel');
    await form.locator('label', { hasText: /^RCS$/ }).click();
    await form.locator('label', { hasText: /^Carousel$/ }).click();
    // Two cards to start with, and no fewer.
    await form.getByRole('group', { name: 'Card 2' }).waitFor();
    assert.equal(await form.getByRole('button', { name: 'Remove card 1' }).isDisabled(), true);
    await form.getByTestId('save-blocked').getByText('Card 1 needs a title, a description or a media URL').waitFor();
    await form.getByRole('button', { name: 'Add card' }).click();
    for (const [i, name] of ['Tulips', 'Roses', 'Daisies'].entries()) {
      await form.getByRole('group', { name: `Card ${i + 1}` }).getByRole('textbox', { name: 'Title' }).fill(`${name} for {{ first_name }}`);
    }
    await form.getByRole('button', { name: 'Remove card 2' }).click();
    const second = form.getByRole('group', { name: 'Card 2' });
    assert.equal(await second.getByRole('textbox', { name: 'Title' }).inputValue(), 'Daisies for {{ first_name }}');
    await second.getByRole('button', { name: 'Add URL chip' }).click();
    await second.getByRole('textbox', { name: 'Suggestion 1', exact: true }).fill('Shop daisies');
    await form.getByTestId('save-blocked').getByText('Card 2, suggestion 1 needs an absolute http(s) URL').waitFor();
    await second.getByRole('textbox', { name: 'Suggestion 1 URL' }).fill('https://shop.example.com/daisies');
    await preview.getByTestId('preview-card').nth(1).getByText('Daisies for Ada').waitFor();
    assert.equal(await preview.getByTestId('preview-card').count(), 2);
    assert.deepEqual(await preview.getByTestId('preview-chip').allInnerTexts(), ['↗ Shop daisies']);
    await form.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(/\/campaigns\/cmp_/);
    const id = /\/campaigns\/(cmp_[^/?#]+)/.exec(page.url())![1]!;
    const campaign = await ok('GET', `/api/v1/projects/${projectId}/campaigns/${id}`);
    assert.deepEqual(campaign.content, {
      carousel_message: {
        cards: [
          { title: 'Tulips for {{ first_name }}' },
          { title: 'Daisies for {{ first_name }}', choices: [{ url_message: { title: 'Shop daisies', url: 'https://shop.example.com/daisies' } }] },
        ],
      },
    });
  });
  assert.deepEqual(pageErrors(), [], 'no script errors in the pages');
  await context.close();
});
