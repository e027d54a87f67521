/**
 * `npm run bench -- campaign [--n N] [--db sqlite|postgres]`: a campaign's fan-out. N customers (default
 * 100,000) are imported as one CSV; a campaign to all of them is launched with a throttle of 1 message/s, so the
 * sender stays out of the way and what is measured is the fan-out: launch until every recipient's message exists
 * (the campaign's `fanout_done`). The baseline, in the same run: the same message rows written with plain
 * multi-row INSERTs, 1,000 rows per transaction (the fan-out's chunk), into a fresh database of the same schema on
 * the same engine. Also: the service's peak RSS during the fan-out (a process started after the import, so the
 * figure is the fan-out's; its RSS before the launch beside it), the import's rate and peak RSS, and the report's
 * read latency (GET …/report, sequential, after the fan-out).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import pg from 'pg';
import { request } from 'undici';
import { openDatabase } from '../src/db/database.ts';
import { createBackend, type BackendKind } from './lib/backend.ts';
import { percentile, round } from './lib/load.ts';
import { formatSummary, monotonicMicros, profilesIn, summarizeProfile } from './lib/profile.ts';
import { cpuMeter, sleep, startEmulator, startService, tempDir, type Child } from './lib/proc.ts';
import { callJson, setUpProject } from './lib/service.ts';

export interface CampaignBenchOptions {
  n: number;
  db: BackendKind;
  /** GET …/report this many times for its latency. */
  reads: number;
  /** Profile the service and print where the fan-out spent its time. */
  cpuProf: boolean;
  log: (line: string) => void;
}

/** Resident memory of a process, now and at its peak (Linux /proc), in MB. */
function memoryOf(pid: number | undefined): { rss: number; hwm: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN');
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

const chunk = 1000;

/** Writes `rows` (objects with the same keys) with multi-row INSERTs, `chunk` rows per transaction; ms taken. */
async function rawInsert(kind: BackendKind, target: { file?: string; url?: string }, project: Record<string, unknown>, rows: Array<Record<string, unknown>>): Promise<number> {
  const columns = Object.keys(rows[0]!);
  // The project the messages belong to (a foreign key, checked in both).
  const projectColumns = Object.keys(project);
  if (kind === 'sqlite') {
    const db = new DatabaseSync(target.file!);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA cache_size = -65536');
    db.prepare(`insert into projects (${projectColumns.join(',')}) values (${projectColumns.map(() => '?').join(',')})`).run(...projectColumns.map((c) => project[c] as SQLInputValue));
    const statements = new Map<number, ReturnType<DatabaseSync['prepare']>>();
    const started = performance.now();
    for (let from = 0; from < rows.length; from += chunk) {
      const part = rows.slice(from, from + chunk);
      let statement = statements.get(part.length);
      if (statement === undefined) {
        const one = `(${columns.map(() => '?').join(',')})`;
        statement = db.prepare(`insert into messages (${columns.join(',')}) values ${Array.from({ length: part.length }, () => one).join(',')}`);
        statements.set(part.length, statement);
      }
      db.exec('begin');
      statement.run(...part.flatMap((r) => columns.map((c) => r[c] as SQLInputValue)));
      db.exec('commit');
    }
    const ms = performance.now() - started;
    db.close();
    return ms;
  }
  const client = new pg.Client({ connectionString: target.url! });
  await client.connect();
  await client.query(`insert into projects (${projectColumns.join(',')}) values (${projectColumns.map((_, i) => `$${i + 1}`).join(',')})`, projectColumns.map((c) => project[c]));
  const started = performance.now();
  for (let from = 0; from < rows.length; from += chunk) {
    const part = rows.slice(from, from + chunk);
    let n = 0;
    const values = part.map(() => `(${columns.map(() => `$${++n}`).join(',')})`).join(',');
    await client.query('begin');
    await client.query(`insert into messages (${columns.join(',')}) values ${values}`, part.flatMap((r) => columns.map((c) => r[c])));
    await client.query('commit');
  }
  const ms = performance.now() - started;
  await client.end();
  return ms;
}

export async function benchCampaign(options: CampaignBenchOptions): Promise<Record<string, unknown>> {
  const { n, log } = options;
  const loadBefore = loadavg()[0]!;
  const data = tempDir('mm-bench-campaign-');
  const backend = await createBackend(options.db, data.dir);
  const raw = await createBackend(options.db, path.join(data.dir, 'raw'));
  const children: Child[] = [];
  const profDir = options.cpuProf ? tempDir('mm-bench-prof-') : undefined;
  try {
    const emulator = await startEmulator();
    children.push(emulator);
    const adminToken = `mma_${randomBytes(24).toString('hex')}`;
    const serviceOptions = {
      dataDir: backend.dataDir(0), adminToken, sinchUrl: emulator.baseUrl, env: { ...backend.env, IMPORT_MAX_BYTES: String(200 * 1024 * 1024) }, startTimeoutMs: 60_000,
    };
    let service = await startService(serviceOptions);
    children.push(service);
    let pid = service.process.pid;
    const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000 });
    const api = (method: 'GET' | 'POST', p: string, body?: unknown) => callJson(service.baseUrl, method, `/api/v1/projects/${setup.projectId}${p}`, setup.memberToken, body);

    // The audience: N customers with a first name and a city, one CSV.
    const cities = ['Lund', 'Malmö', 'Umeå', 'Kiruna', 'Visby'];
    const lines = ['phone,first_name,city,consent_whatsapp'];
    for (let i = 0; i < n; i += 1) lines.push(`+4673${String(4_000_000 + i).padStart(7, '0')},Name${i},${cities[i % cities.length]},granted`);
    const csv = lines.join('\n');
    const beforeImport = memoryOf(pid);
    log(`campaign: service RSS before the import ${round(beforeImport?.rss ?? NaN)} MB`);
    const importStarted = performance.now();
    const imported = await request(`${service.baseUrl}/api/v1/projects/${setup.projectId}/customer-imports?name=bench`, {
      method: 'POST', headers: { authorization: `Bearer ${setup.memberToken}`, 'content-type': 'text/csv' }, body: csv,
      headersTimeout: 600_000, bodyTimeout: 600_000,
    });
    const importBody = await imported.body.json() as { created?: number; errors?: number };
    const importMs = performance.now() - importStarted;
    if (importBody.created !== n) throw new Error(`import: ${imported.statusCode} ${JSON.stringify(importBody)}`);
    const afterImport = memoryOf(pid);
    log(`campaign: imported ${n} customers in ${round(importMs / 1000, 2)} s = ${round(n / (importMs / 1000))} rows/s, service RSS ${round(afterImport?.rss ?? NaN)} MB (peak ${round(afterImport?.hwm ?? NaN)} MB)`);

    // A fresh process for the fan-out, so that its memory is not the import's: peak RSS is the fan-out's own.
    await service.stop();
    service = await startService({
      ...serviceOptions, port: service.port,
      ...(profDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profDir.dir}`, '--cpu-prof-name=service.cpuprofile'] } : {}),
    });
    children.push(service);
    pid = service.process.pid;
    await sleep(1000);
    const idle = memoryOf(pid);
    log(`campaign: restarted; service RSS before the launch ${round(idle?.rss ?? NaN)} MB`);

    const created = await api('POST', '/campaigns', {
      name: 'Bench', channel: 'whatsapp', audience: { all: true }, throttle_per_second: 1,
      content: { template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': '{{ first_name }} in {{ city }}' } } } } },
    });
    if (created.status !== 201) throw new Error(`create campaign: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id as string;

    // Launch and sample memory until the fan-out is done.
    let peakRss = idle?.rss ?? 0;
    const cpu = cpuMeter([pid]);
    const t0us = monotonicMicros();
    const launched = await api('POST', `/campaigns/${id}/launch`);
    if (launched.status !== 200) throw new Error(`launch: ${launched.status} ${JSON.stringify(launched.body)}`);
    const launchedAt = Date.parse(launched.body.launched_at as string);
    const launchWall = Date.now();
    const inspector = await backend.inspector();
    for (const deadline = Date.now() + 600_000; ;) {
      const m = memoryOf(pid);
      if (m !== undefined) peakRss = Math.max(peakRss, m.rss);
      const done = await inspector.one<{ fanout_done: number; queued_count: number }>('select fanout_done, queued_count from campaigns where id = ?', id);
      if (Number(done.fanout_done) === 1) break;
      if (Date.now() > deadline) throw new Error(`fan-out not done after 10 minutes: ${JSON.stringify(done)}`);
      await sleep(50);
    }
    const cpuS = cpu();
    const t1us = monotonicMicros();
    // From launch to the last chunk's commit (the campaign row's updated_at).
    const finished = await inspector.one<{ updated_at: string; queued_count: number }>('select updated_at, queued_count from campaigns where id = ?', id);
    const fanoutMs = Date.parse(finished.updated_at) - launchedAt;
    log(`campaign: launched_at ${new Date(launchedAt).toISOString()} done ${finished.updated_at} (observed ${Date.now() - launchWall} ms after the launch answer)`);
    const messages = Number(finished.queued_count);
    if (messages !== n) throw new Error(`fan-out wrote ${messages} messages for ${n} customers`);
    const fanoutPerS = n / (fanoutMs / 1000);
    log(`campaign: fan-out of ${n} recipients in ${round(fanoutMs / 1000, 2)} s = ${round(fanoutPerS)} messages/s, service CPU ${round(((cpuS ?? NaN) * 1000) / n, 3)} ms/recipient, peak RSS during fan-out ${round(peakRss)} MB`);

    // The report, read while the campaign has its 100,000 messages.
    const latencies: number[] = [];
    for (let i = 0; i < options.reads; i += 1) {
      const t = performance.now();
      const r = await api('GET', `/campaigns/${id}/report`);
      latencies.push(performance.now() - t);
      if (r.status !== 200 || r.body.messages !== n) throw new Error(`report: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    log(`campaign: report read p50 ${round(percentile(latencies, 50), 2)} ms, p99 ${round(percentile(latencies, 99), 2)} ms over ${options.reads} sequential reads`);

    // The baseline: the same rows, plain multi-row INSERTs into a fresh database of the same schema.
    const rows = await inspector.all<Record<string, unknown>>('select * from messages where campaign_ref = ? order by id', id);
    const project = await inspector.one<Record<string, unknown>>('select * from projects where id = ?', setup.projectId);
    await inspector.close();
    const overall = memoryOf(pid);
    await Promise.all(children.splice(0).map((c) => c.stop()));
    if (profDir !== undefined) {
      for (const file of profilesIn(profDir.dir)) log(formatSummary(summarizeProfile(file, { fromUs: t0us, toUs: t1us })));
      log(`profile kept in ${profDir.dir}`);
    }
    const location = options.db === 'sqlite' ? { kind: 'sqlite' as const, file: path.join(raw.dataDir(0), 'raw.db') } : { kind: 'postgres' as const, url: raw.env.DATABASE_URL! };
    const schema = openDatabase(location);
    await schema.migrate();
    await schema.close();
    const rawMs = await rawInsert(options.db, location.kind === 'sqlite' ? { file: location.file } : { url: location.url }, project, rows);
    const rawPerS = rows.length / (rawMs / 1000);
    const ratio = fanoutPerS / rawPerS;
    log(`campaign: raw multi-row insert of the same ${rows.length} rows in ${round(rawMs / 1000, 2)} s = ${round(rawPerS)} rows/s → ratio ${round(ratio, 3)}  (load ${round(loadBefore, 2)} → ${round(loadavg()[0]!, 2)})`);
    return {
      bench: 'campaign', db: options.db, n,
      ratio: round(ratio, 3), fanout_per_s: round(fanoutPerS), raw_insert_per_s: round(rawPerS),
      peak_rss_mb: round(peakRss), idle_rss_mb: round(idle?.rss ?? NaN), import_peak_rss_mb: round(afterImport?.hwm ?? NaN), peak_rss_after_reads_mb: round(overall?.hwm ?? NaN),
      report_p50_ms: round(percentile(latencies, 50), 2), report_p99_ms: round(percentile(latencies, 99), 2),
      service_cpu_ms_per_recipient: round(((cpuS ?? NaN) * 1000) / n, 3),
      import_rows_per_s: round(n / (importMs / 1000)),
      load_before: round(loadBefore, 2),
    };
  } finally {
    await Promise.all(children.map((c) => c.kill9()));
    await backend.remove();
    await raw.remove();
    data.remove();
  }
}
