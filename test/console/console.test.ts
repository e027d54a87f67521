/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the real service
 * (`node src/main.ts`, SQLite, the built-in sandbox), as a new user meets it: create the first admin, a project, a
 * SANDBOX integration (copy its callback URL), default providers; a member who cannot change them; a message that
 * reaches `read`; a customer's reply answered in the inbox; a STOP that shows the opt-out; a campaign whose report
 * fills. On failure a screenshot goes to test-results/ (gitignored).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../../bench/lib/proc.ts';
import { browserSteps, chromiumArgs, chromiumPath } from '../helpers/browser.ts';
import { startService as startRealService, type RunningService } from '../helpers/service.ts';

const root = path.join(import.meta.dirname, '..', '..');

let service: RunningService | undefined;
const { watch, step, shot, pageErrors } = browserSteps('console', () => service?.output() ?? '');
let browser: Browser | undefined;
let base = '';
let dataDir = '';
let projectId = '';

async function startService(): Promise<void> {
  const built = spawnSync(process.execPath, ['scripts/build-console.ts', '--if-stale'], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  dataDir = mkdtempSync(path.join(tmpdir(), 'mm-console-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = await startRealService({ dataDir, port });
}




async function pickOption(page: Page, label: string | RegExp, option: string | RegExp): Promise<void> {
  await page.getByRole('combobox', { name: label }).click();
  await page.getByRole('option', { name: option }).click();
}

before(async () => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium (.ci/run does it)`);
  await startService();
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});

after(async () => {
  await browser?.close();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a new user: first admin, sandbox integration, defaults, a member, a message to read, the inbox, STOP, a campaign report', { timeout: 170_000 }, async () => {
  const adminContext: BrowserContext = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  await adminContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const admin = await adminContext.newPage();
  watch(admin);
  admin.setDefaultTimeout(20_000);
  const pages = [admin];
  const phone = '+46732001122';

  await step('first admin', pages, async () => {
    await admin.goto(`${base}/`);
    await admin.waitForURL(/\/setup$/);
    await admin.getByLabel('Admin token').fill(readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());
    await admin.getByLabel('Email').fill('ana@example.com');
    await admin.getByRole('textbox', { name: /^Password/ }).fill('short');
    await admin.getByRole('button', { name: 'Create and sign in' }).click();
    await admin.getByText('password must be at least 10 characters').waitFor();
    await admin.getByRole('textbox', { name: /^Password/ }).fill('correct horse battery');
    await admin.getByRole('button', { name: 'Create and sign in' }).click();
    await admin.getByRole('heading', { name: 'Projects' }).waitFor();
    await admin.getByLabel('New project').fill('Shop');
    await admin.getByRole('button', { name: 'Create project' }).click();
    await admin.waitForURL(/\/p\/prj_[^/]+\/integrations$/);
    projectId = /\/p\/(prj_[^/]+)\//.exec(admin.url())![1]!;
  });

  await step('sandbox integration and its callback URL', pages, async () => {
    await admin.getByRole('button', { name: 'Add new integration' }).click();
    const form = admin.getByRole('form', { name: 'Add integration' });
    await form.getByLabel('Name').fill('Sandbox');
    await form.getByRole('button', { name: 'Save' }).click();
    const card = admin.getByLabel('Integration Sandbox');
    await card.waitFor();
    const url = await card.getByRole('textbox', { name: 'Callback URL' }).inputValue();
    assert.match(url, new RegExp(`^${base}/callbacks/sinch/`));
    await card.getByRole('button', { name: 'Copy the callback URL' }).click();
    await card.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await admin.evaluate('navigator.clipboard.readText()'), url);
  });

  await step('default providers for both channels', pages, async () => {
    await admin.getByRole('link', { name: 'Project settings' }).click();
    await pickOption(admin, 'Default WhatsApp provider', /Sandbox/);
    await pickOption(admin, 'Default RCS provider', /Sandbox/);
    await admin.getByRole('button', { name: 'Save channels' }).click();
    await admin.getByText('Default providers saved').waitFor();
    await admin.getByRole('link', { name: 'Integrations' }).click();
    await admin.getByText('default WhatsApp').waitFor();
    await admin.getByText('default RCS').waitFor();
    await shot(admin, 'integrations');
  });

  let memberPage: Page | undefined;
  await step('a member cannot change the defaults', pages, async () => {
    await admin.goto(`${base}/p/${projectId}/settings?tab=people`);
    await admin.getByLabel('Invite by email').fill('ben@example.com');
    await admin.getByRole('button', { name: 'Invite' }).click();
    const link = await admin.locator('code', { hasText: '/set-password#token=' }).innerText();
    const memberContext = await browser!.newContext({ viewport: { width: 390, height: 844 } });
    memberPage = await memberContext.newPage();
    watch(memberPage);
    memberPage.setDefaultTimeout(20_000);
    pages.push(memberPage);
    await memberPage.goto(link);
    await memberPage.getByLabel('New password').fill('ben has a long password');
    await memberPage.getByRole('button', { name: 'Set password' }).click();
    await memberPage.getByRole('link', { name: 'Sign in' }).click();
    await memberPage.getByLabel('Email').fill('ben@example.com');
    await memberPage.getByRole('textbox', { name: /^Password/ }).fill('ben has a long password');
    await memberPage.getByRole('button', { name: 'Sign in' }).click();
    await memberPage.waitForURL(/\/integrations$/);
    await memberPage.goto(`${base}/p/${projectId}/settings`);
    await memberPage.getByText('Only admins can set default providers.').waitFor();
    assert.equal(await memberPage.getByRole('combobox', { name: 'Default WhatsApp provider' }).isDisabled(), true);
    assert.equal(await memberPage.getByRole('button', { name: 'Save channels' }).isDisabled(), true);
    // The API says the same to a forged request: the member's session may not change defaults.
    const status = await memberPage.evaluate(async (p) => (await fetch(`/api/v1/projects/${p}/settings/channels`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"whatsapp_integration_id":null,"rcs_integration_id":null}' })).status, projectId);
    assert.equal(status, 403);
  });

  await step('the instance admin resets a password', pages, async () => {
    admin.on('dialog', (dialog) => void dialog.accept());
    await admin.goto(`${base}/`);
    await admin.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'ben@example.com' }).getByRole('button', { name: 'Reset password' }).click();
    const link = await admin.locator('code', { hasText: '/set-password#token=mmr_' }).innerText();
    await memberPage!.goto(link);
    await memberPage!.getByLabel('New password').fill('ben got a new password');
    await memberPage!.getByRole('button', { name: 'Set password' }).click();
    await memberPage!.getByRole('link', { name: 'Sign in' }).click();
    await memberPage!.getByLabel('Email').fill('ben@example.com');
    await memberPage!.getByRole('textbox', { name: /^Password/ }).fill('ben got a new password');
    await memberPage!.getByRole('button', { name: 'Sign in' }).click();
    await memberPage!.waitForURL(/\/integrations$/);
    await admin.goto(`${base}/p/${projectId}/integrations`);
  });

  await step('a test message reaches read', pages, async () => {
    await admin.getByRole('link', { name: 'Messages' }).click();
    const form = admin.getByRole('form', { name: 'Send a message' });
    await form.getByLabel('To (phone number)').fill(phone);
    // The integration's approved templates come from Sinch (the sandbox): pick one, fill its parameter.
    await pickOption(admin, 'WhatsApp template', /^welcome \(en_US\)/);
    await form.getByLabel('Parameter body[1]text').fill('Ada');
    await form.getByLabel('Template preview').getByText('Hi Ada, welcome!').waitFor();
    await form.getByRole('button', { name: 'Send' }).click();
    await admin.waitForURL(/\/messages\/msg_/);
    await admin.getByRole('dialog').locator('[data-status="read"]').waitFor({ timeout: 30_000 });
    await admin.getByRole('dialog').getByText('status: delivered').waitFor();
  });

  await step('the customer replies and is answered from the inbox', pages, async () => {
    await admin.goto(`${base}/p/${projectId}/inbox`);
    const sent = await fetch(`${base}/sandbox/_emulator/apps/sandbox-app/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'Thanks! Opening hours?' }),
    });
    assert.ok(sent.ok, `inbound: ${sent.status}`);
    await admin.getByRole('listitem').filter({ hasText: phone }).click();
    await admin.getByText('Thanks! Opening hours?').waitFor();
    await admin.getByLabel('Reply text').fill('We open at 9.');
    await admin.getByRole('form', { name: 'Reply' }).getByRole('button', { name: 'Send' }).click();
    await admin.locator('[data-direction="outbound"]', { hasText: 'We open at 9.' }).locator('[data-status="read"]').waitFor({ timeout: 30_000 });
  });

  await step('STOP from the phone shows the opt-out', pages, async () => {
    await admin.getByLabel('Customer').locator('[data-consent="whatsapp:unknown"]').waitFor();
    // The customer types STOP on the sandbox phone (the built-in emulator's page for that number).
    const phonePage = await adminContext.newPage();
    watch(phonePage);
    pages.push(phonePage);
    await phonePage.goto(`${base}/sandbox/phone/${phone.slice(1)}`);
    const reply = phonePage.locator('form#reply');
    await reply.getByPlaceholder('Reply as the customer').fill('STOP');
    await reply.getByRole('button', { name: 'Send', exact: true }).click();
    await phonePage.getByText('You have been unsubscribed').waitFor();
    await admin.getByLabel('Customer').locator('[data-consent="whatsapp:revoked"]').waitFor();
    await admin.getByText('revoke whatsapp').waitFor();
    await shot(admin, 'inbox');
  });

  await step('a small campaign and its report', pages, async () => {
    await admin.getByRole('link', { name: 'Campaigns' }).click();
    await admin.getByRole('button', { name: 'New campaign' }).click();
    const form = admin.getByRole('form', { name: 'New campaign' });
    await form.getByLabel('Name').fill('Spring');
    await form.locator('label', { hasText: /^RCS$/ }).click();
    await form.getByText('1 customers').waitFor();
    await form.getByRole('textbox', { name: 'Message', exact: true }).fill('Hello {{ customer.first_name | default: "friend" }}, spring is here.');
    await admin.getByTestId('preview-text').getByText('Hello friend, spring is here.').waitFor();
    await form.getByRole('button', { name: 'Save draft' }).click();
    await admin.waitForURL(/\/campaigns\/cmp_/);
    await admin.getByRole('button', { name: 'Launch' }).click();
    await admin.locator('[data-metric="audience"]', { hasText: '1' }).waitFor();
    await admin.locator('[data-funnel="read"]', { hasText: '1' }).waitFor({ timeout: 30_000 });
    await admin.locator('[data-campaign-status="completed"]').waitFor({ timeout: 30_000 });
    await shot(admin, 'campaign-report');
  });
  await step('an opt-out on Sinch\'s lists is imported from the integration page', pages, async () => {
    // A customer on the app's OPT_OUT_ALL list whose OPT_OUT callback never came (consent management at Sinch).
    const listed = await fetch(`${base}/sandbox/_emulator/apps/sandbox-app/consents`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: '46732000777', channel: 'WHATSAPP', action: 'opt_out', list: 'OPT_OUT_ALL', notify: false }),
    });
    assert.ok(listed.ok, `consents: ${listed.status}`);
    await admin.goto(`${base}/p/${projectId}/integrations`);
    const card = admin.getByLabel('Integration Sandbox');
    await card.getByRole('button', { name: 'Verify' }).click();
    const lists = card.getByLabel('Sinch opt-out lists');
    await lists.getByText(/Sinch opt-out lists: all 1 · marketing 0 · notification 0/).waitFor();
    await lists.getByRole('button', { name: 'Import opt-outs now' }).click();
    await lists.getByText(/1 customers revoked/).waitFor();
    await admin.goto(`${base}/p/${projectId}/customers`);
    await admin.getByText('+46732000777').waitFor();
  });

  await step('a CSV with its own column names, mapped on the import screen', pages, async () => {
    await admin.goto(`${base}/p/${projectId}/customers`);
    await admin.getByRole('tab', { name: 'Import' }).click();
    const csvText = 'Mobile number,First name,Notes\r\n+46732000881,Hanna,"VIP, called twice"\r\n+46732000882,Ivo,\r\n';
    await admin.locator('input[type="file"]').setInputFiles({ name: 'crm-export.csv', mimeType: 'text/csv', buffer: Buffer.from(csvText) });
    const preview = admin.getByRole('table', { name: 'First rows of the file' });
    await preview.getByRole('cell', { name: 'VIP, called twice' }).waitFor();
    // The guesses: the phone-like column is the phone, the rest attributes under a usable name.
    assert.equal(await admin.getByRole('combobox', { name: 'Column Mobile number is' }).inputValue(), 'Phone');
    assert.equal(await admin.getByLabel('Attribute name for First name').inputValue(), 'first_name');
    await pickOption(admin, 'Column Notes is', 'Ignore');
    await shot(admin, 'import');
    await admin.getByRole('button', { name: 'Import', exact: true }).click();
    await admin.getByRole('status').filter({ hasText: 'completed: 2 rows read, 2 created' }).waitFor();
    await admin.getByRole('tab', { name: 'Customers' }).click();
    await admin.getByLabel('Find by phone').fill('+46732000881');
    await admin.getByLabel('Find by phone').press('Enter');
    await admin.getByRole('table', { name: 'Customers' }).getByText('{"first_name":"Hanna"}').waitFor();
  });

  await step('one live stream per tab, shared by the screens that listen', pages, async () => {
    const streams: string[] = [];
    const count = (r: { url(): string }) => { if (r.url().includes('/events/stream')) streams.push(r.url()); };
    admin.on('request', count);
    await admin.goto(`${base}/p/${projectId}/events`);
    await admin.getByRole('table', { name: 'Events' }).getByRole('row').nth(1).waitFor();
    await admin.getByLabel('Live updates on').waitFor();
    admin.off('request', count);
    assert.equal(streams.length, 1, streams.join(', '));
  });
  assert.deepEqual(pageErrors(), [], 'no script errors in the pages');
  await adminContext.close();
});

test('the inbox stays usable with 10,000 conversations: a virtualised list that pages as it scrolls', { timeout: 170_000 }, async () => {
  assert.ok(projectId !== '', 'runs after the first test');
  const phone = '+46732001122';
  // 10,000 customers write in through the sandbox, 50 at a time.
  const total = 10_000;
  let next = 0;
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (next < total) {
      const i = next++;
      const sent = await fetch(`${base}/sandbox/_emulator/apps/sandbox-app/inbound`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identity: `4670${String(i).padStart(7, '0')}`, channel: 'WHATSAPP', text: `Hello ${i}` }),
      });
      assert.ok(sent.ok, `inbound ${i}: ${sent.status}`);
    }
  }));
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  watch(page);
  await step('10,000 conversations', [page], async () => {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByRole('textbox', { name: /^Password/ }).fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/p\/|\/$/);
    await page.goto(`${base}/p/${projectId}/inbox`);
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('listitem').first().waitFor();
    // Every conversation arrived (counted through the API), yet only a screenful of rows is in the page.
    const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    for (let count = 0; count < total + 1;) {
      count = 0;
      let cursor: string | null = null;
      do {
        const r = await fetch(`${base}/api/v1/projects/${projectId}/conversations?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
        const body = await r.json() as { data: unknown[]; next_cursor: string | null };
        count += body.data.length;
        cursor = body.next_cursor;
      } while (cursor !== null);
    }
    await page.reload();
    await list.getByRole('listitem').first().waitFor();
    const rendered = await list.getByRole('listitem').count();
    assert.ok(rendered > 5 && rendered < 60, `${rendered} rows in the page`);
    // Scrolling to the end pages through all 10,001 (64 px each); the oldest, the first test's customer, comes last.
    interface ScrollBox { scrollTop: number; scrollHeight: number }
    await page.waitForFunction(() => {
      const el = (globalThis as unknown as { document: { querySelector(s: string): ScrollBox | null } }).document.querySelector('[aria-label="Conversations"]');
      if (el === null) return false;
      el.scrollTop = el.scrollHeight;
      return el.scrollHeight >= 64 * 10_001;
    }, undefined, { polling: 200, timeout: 90_000 });
    const last = list.getByRole('listitem').filter({ hasText: phone });
    await last.waitFor();
    await last.click();
    await page.getByText('Thanks! Opening hours?').waitFor();
    assert.ok(await list.getByRole('listitem').count() < 60, 'still a screenful of rows after scrolling through 10,000');
  });
  await context.close();
});
