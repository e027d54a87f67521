import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { call, createProjectWithTokens, sampleIntegration, startTestApp } from '../helpers/app.ts';

test('no access secret, webhook secret or token appears in the database, the logs or any response', async () => {
  const logs: string[] = [];
  const logStream = new Writable({ write(chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb(); } });
  const t = await startTestApp({ env: { LOG_LEVEL: 'trace' }, logStream });
  const responses: string[] = [];
  const record = <R extends { body: unknown }>(r: R): R => { responses.push(JSON.stringify(r.body)); return r; };
  try {
    const p = await createProjectWithTokens(t, 'Secrets');
    const created = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
    const callbackToken = (created.body.callback_url as string).split('/').pop()!;
    record(created);
    const rotated = record(await call(t.app, 'PATCH', `/api/v1/projects/${p.id}/integrations/${created.body.id}`, p.adminToken, {
      access_secret: 'rotated-access-secret-XYZ', webhook_secret: 'rotated-webhook-secret-XYZ',
    }));
    assert.equal(rotated.status, 200);
    for (const [method, url] of [
      ['GET', `/api/v1/projects/${p.id}/integrations`],
      ['GET', `/api/v1/projects/${p.id}/integrations/${created.body.id}`],
      ['POST', `/api/v1/projects/${p.id}/integrations/${created.body.id}/verify`],
      ['GET', `/api/v1/projects/${p.id}/tokens`],
      ['GET', '/api/v1/projects'],
      ['GET', `/api/v1/projects/${p.id}/settings/channels`],
    ] as const) {
      record(await call(t.app, method, url, p.adminToken));
      record(await call(t.app, method, url, p.memberToken));
    }
    record(await call(t.app, 'GET', '/api/v1/projects', t.adminToken));
    // A request that fails validation echoes nothing of the secret it carried.
    record(await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, { ...sampleIntegration, region: 'NOPE' }));

    const secrets = [
      sampleIntegration.access_secret, sampleIntegration.webhook_secret, 'rotated-access-secret-XYZ', 'rotated-webhook-secret-XYZ',
      p.adminToken, p.memberToken, t.adminToken,
    ];

    let stored: string;
    if (t.database.file !== undefined) {
      await t.app.close();
      stored = [t.database.file, `${t.database.file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('\n');
      assert.ok(stored.includes(sampleIntegration.access_key), 'the scan reads real data');
    } else {
      const tables = ['instance_settings', 'projects', 'api_tokens', 'integrations', 'project_settings'];
      const dumps = await Promise.all(tables.map(async (name) => JSON.stringify((await sql`select * from ${sql.table(name)}`.execute(t.database.db.kysely)).rows)));
      stored = dumps.join('\n');
      assert.ok(stored.includes(sampleIntegration.access_key), 'the scan reads real data');
    }
    const logText = logs.join('');
    assert.ok(logText.includes('"reqId"'), 'request logs were captured');
    for (const secret of [...secrets, callbackToken]) {
      assert.equal(stored.includes(secret), false, `database holds ${secret.slice(0, 6)}…`);
      assert.equal(logText.includes(secret), false, `logs hold ${secret.slice(0, 6)}…`);
    }
    for (const secret of secrets) {
      assert.equal(responses.some((r) => r.includes(secret)), false, `a response holds ${secret.slice(0, 6)}…`);
    }
  } finally {
    await t.close();
  }
});
