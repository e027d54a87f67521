/**
 * The sandbox's phone page in a real browser (Debian's chromium through playwright-core), served by the real
 * service (`node src/main.ts`): a tapped reply button shows its label in the thread (its postback goes to the
 * app), a link button opens its URL in a new tab (target=_blank, rel=noopener) without a message back, a carousel
 * shows as cards, and the thread is the same after the service restarts. No script error, no CSP violation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../../bench/lib/proc.ts';
import { startService as startRealService, type RunningService } from '../helpers/service.ts';

const root = path.join(import.meta.dirname, '..', '..');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const number = '46700007001';

let browser: Browser | undefined;
let service: RunningService | undefined;
let dataDir = '';
let base = '';

async function startService(): Promise<void> {
  service = await startRealService({ dataDir, port: Number(new URL(base).port), env: { ADMIN_TOKEN: 'admin-token-for-the-phone-page-test-0123456789' } });
}

async function stopService(): Promise<void> {
  await service?.stop();
}

before(async () => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium (.ci/run does it)`);
  dataDir = mkdtempSync(path.join(tmpdir(), 'mm-phone-'));
  base = `http://127.0.0.1:${await freePort()}`;
  await startService();
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

after(async () => {
  await browser?.close();
  await stopService();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The sandbox's Sinch API, as the service (or any client) calls it. */
async function sinchSend(message: unknown, channel = 'WHATSAPP'): Promise<string> {
  const r = await fetch(`${base}/sandbox/v1/projects/sandbox-project/messages:send`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app_id: 'sandbox-app', recipient: { identified_by: { channel_identities: [{ channel, identity: number }] } }, message }),
  });
  const body = await r.json() as { message_id: string };
  assert.equal(r.status, 200, JSON.stringify(body));
  return body.message_id;
}

async function inbound(): Promise<{ contact_message: Record<string, any> }[]> {
  return ((await (await fetch(`${base}/sandbox/_emulator/inbound?identity=${number}`)).json()) as { inbound: { contact_message: Record<string, any> }[] }).inbound;
}

test('buttons show their labels, links open, carousels are cards, and the thread survives a restart', { timeout: 120_000 }, async () => {
  const problems: string[] = [];
  const context = await browser!.newContext({ viewport: { width: 420, height: 900 } });
  const page: Page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`); });
  try {
    // The customer wrote first (the WhatsApp window opens); the business answers with buttons and a carousel.
    const hello = await fetch(`${base}/sandbox/_emulator/apps/sandbox-app/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: number, text: 'Do you have shoes?' }) });
    assert.equal(hello.status, 200);
    const shop = `${base}/healthz`;
    const choice = await sinchSend({
      choice_message: {
        text_message: { text: 'Want to see our shoes?' },
        choices: [{ text_message: { text: 'Yes please' }, postback_data: 'SHOW_SHOES_42' }, { url_message: { title: 'Our shop', url: shop } }],
      },
    });
    await sinchSend({
      carousel_message: {
        cards: [
          { title: 'Red shoes', description: 'Size 42', media_message: { url: `${base}/no-such-image.png` }, choices: [{ text_message: { text: 'Buy red' }, postback_data: 'BUY_RED' }] },
          { title: 'Blue shoes', description: 'Size 43', choices: [{ text_message: { text: 'Buy blue' }, postback_data: 'BUY_BLUE' }] },
        ],
        choices: [{ text_message: { text: 'Neither' }, postback_data: 'NONE' }],
      },
    });

    await page.goto(`${base}/sandbox/phone/${number}`);
    const thread = page.locator('#thread');
    await thread.getByText('Want to see our shoes?').waitFor();

    // A reply button: the customer's tap shows as the button's label; the app gets the postback.
    await thread.getByRole('button', { name: 'Yes please' }).click();
    await thread.locator('.msg.in', { hasText: '👆 Yes please' }).waitFor();
    assert.equal(await thread.locator('.msg.in', { hasText: 'SHOW_SHOES_42' }).count(), 0, 'the raw postback is not shown as the message');
    const tapped = (await inbound()).at(-1)!.contact_message.choice_response_message;
    assert.deepEqual(tapped, { message_id: choice, postback_data: 'SHOW_SHOES_42' });

    // A link button opens the link in a new tab, and sends nothing back.
    const link = thread.getByRole('link', { name: /Our shop/ });
    assert.equal(await link.getAttribute('href'), shop);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.match(await link.getAttribute('rel') ?? '', /\bnoopener\b/);
    const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await popup.waitForLoadState();
    assert.equal(popup.url(), shop);
    await popup.close();
    assert.equal((await inbound()).length, 2, 'a link tap is no message');

    // The carousel: one card per item, side by side, each with its title, text and buttons; the outer choice below.
    const cards = thread.locator('.card');
    assert.equal(await cards.count(), 2);
    assert.match(await cards.nth(0).innerText(), /Red shoes[\s\S]*Size 42[\s\S]*Buy red/);
    assert.match(await cards.nth(1).innerText(), /Blue shoes[\s\S]*Size 43[\s\S]*Buy blue/);
    await cards.nth(1).getByRole('button', { name: 'Buy blue' }).click();
    await thread.locator('.msg.in', { hasText: '👆 Buy blue' }).waitFor();
    await thread.getByRole('button', { name: 'Neither' }).waitFor();

    // The service restarts: the same thread, labels and cards, from the sandbox's saved state.
    await stopService();
    await startService();
    await page.reload();
    await thread.getByText('Want to see our shoes?').waitFor();
    await thread.locator('.msg.in', { hasText: 'Do you have shoes?' }).waitFor();
    await thread.locator('.msg.in', { hasText: '👆 Yes please' }).waitFor();
    await thread.locator('.msg.in', { hasText: '👆 Buy blue' }).waitFor();
    assert.equal(await thread.locator('.card').count(), 2);
    assert.deepEqual(problems, []);
  } catch (error) {
    const dir = path.join(root, 'test-results');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'phone-page.png'), fullPage: true }).catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n--- browser ---\n${problems.join('\n')}\n--- service ---\n${service?.output().slice(-3000) ?? ''}`);
  } finally {
    await context.close();
  }
});
