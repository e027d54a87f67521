/**
 * `npm run bench -- ingest`: signed delivery-report callbacks per second, each verified, stored and turned
 * into its event (measured until the events exist), beside a bare Fastify route answering 200 on the same
 * machine, with the same load generator, concurrency and request bodies, in the same run.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createBackend, type BackendKind } from './lib/backend.ts';
import { censusReport, censusReset } from './lib/census.ts';
import { median, percentile, round, runLoad, warmUntilSteady, statusCounts, type LoadRequest } from './lib/load.ts';
import { formatSummary, monotonicMicros, profilesIn, summarizeProfile } from './lib/profile.ts';
import { cpuMeter, sleep, startBareServer, startEmulator, startService, tempDir, type Child } from './lib/proc.ts';
import { deliveryReportBody, sendAndWait, setUpProject, signedCallback, type NonceKind } from './lib/service.ts';

export interface IngestBenchOptions {
  /** Callbacks in the measured run (three per message: QUEUED_ON_CHANNEL, DELIVERED, READ). */
  n: number;
  concurrency: number;
  warmup: number;
  cpuProf: boolean;
  /** Experiments: runtime patches of the service (bench/patched-main.ts); never for headline numbers. */
  patches: string[];
  db: BackendKind;
  /** How the callbacks' signature nonces look (Sinch: ULIDs). */
  nonces: NonceKind;
  log: (line: string) => void;
}

const reportStatuses = ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ'] as const;

/** Runs of the baseline per benchmark run (it takes about a second): the median is used. */
const baselineRepeats = 3;

export async function benchIngest(options: IngestBenchOptions): Promise<Record<string, unknown>> {
  const { concurrency, log } = options;
  const loadBefore = loadavg()[0]!;
  const messageCount = Math.ceil(options.n / reportStatuses.length);
  const n = messageCount * reportStatuses.length;
  const data = tempDir('mm-bench-ingest-');
  const backend = await createBackend(options.db, data.dir);
  const profDir = options.cpuProf ? tempDir('mm-bench-prof-') : undefined;
  const children: Child[] = [];
  const census = options.patches.includes('sql-census');
  const censusFile = path.join(data.dir, 'sql-census.json');
  try {
    const emulator = await startEmulator();
    children.push(emulator);
    const adminToken = `mma_${randomBytes(24).toString('hex')}`;
    const service = await startService({
      dataDir: data.dir, adminToken, sinchUrl: emulator.baseUrl, env: { ...backend.env, WORKER_CONCURRENCY: String(concurrency), BENCH_CENSUS_FILE: censusFile }, patches: options.patches,
      ...(profDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profDir.dir}`, '--cpu-prof-name=service.cpuprofile'] } : {}),
    });
    children.push(service);
    const webhookSecret = `whsec-${randomBytes(16).toString('hex')}`;
    const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000, webhookSecret });

    // Messages at Sinch and with us for the reports to be about (not measured).
    const messages = await sendAndWait(service.baseUrl, setup, messageCount, { concurrency });
    await emulator.stop();
    children.splice(children.indexOf(emulator), 1);

    // The callbacks, in the order Sinch would send them (all QUEUED_ON_CHANNEL, then DELIVERED, then READ),
    // signed before the clock starts; the bare route gets the very same requests.
    const eventTime = Date.now() - 60_000;
    const bodies: string[] = [];
    reportStatuses.forEach((status, s) => {
      for (const m of messages) {
        bodies.push(deliveryReportBody({ providerMessageId: m.provider_message_id!, messageId: m.id, status, identity: m.to, eventTime: new Date(eventTime + s * 1000) }));
      }
    });
    const requests: LoadRequest[] = bodies.map((body) => signedCallback(setup.callbackPath, webhookSecret, body, options.nonces));
    // Warm-up: reports about messages another system sent (verified, stored, processed; no event).
    const warmup = Array.from({ length: options.warmup }, (_, i) => signedCallback(setup.callbackPath, webhookSecret,
      deliveryReportBody({ providerMessageId: `01WARMUP${String(i).padStart(18, '0')}`, status: 'DELIVERED', identity: '+46732009999' }), options.nonces));

    // Bare Fastify route.
    const bare = await startBareServer();
    children.push(bare);
    // Warm-up: the server and the load generator reach full speed only after some 20,000 requests (JIT), so the
    // full set until the rate is steady (a second or two); then three measured runs, the median counts.
    await runLoad({ origin: bare.baseUrl, concurrency, requests: warmup });
    const warmRates = await warmUntilSteady(async () => {
      const run = await runLoad({ origin: bare.baseUrl, concurrency, requests });
      return run.results.filter((r) => r?.status === 200).length / ((run.endedAt - run.startedAt) / 1000);
    });
    log(`bare warm-up: ${warmRates.map((r) => round(r)).join(', ')} /s`);
    const bareRates: number[] = [];
    const bareLatencies: number[][] = [];
    const bareCpu: number[] = [];
    for (let i = 0; i < baselineRepeats; i += 1) {
      const bareMeter = cpuMeter([bare.process.pid]);
      const bareRun = await runLoad({ origin: bare.baseUrl, concurrency, requests, maxMs: 60_000 });
      const bareOk = bareRun.results.filter((r) => r?.status === 200).length;
      const bareSeconds = (bareRun.endedAt - bareRun.startedAt) / 1000;
      bareRates.push(bareOk / bareSeconds);
      const ms = bareRun.results.map((r) => r!.ms);
      bareLatencies.push(ms);
      const cpu = bareMeter();
      if (cpu !== undefined) bareCpu.push((cpu * 1000) / n);
      log(`bare:   ${bareOk}/${n} answered 200 in ${round(bareSeconds, 2)} s = ${round(bareOk / bareSeconds)}/s (p50 ${round(percentile(ms, 50))} ms, p99 ${round(percentile(ms, 99))} ms)`);
      await sleep(300);
    }
    const barePerS = median(bareRates);
    // Latencies of the median run.
    const bareMs = bareLatencies[bareRates.indexOf([...bareRates].sort((a, b) => a - b)[Math.floor(bareRates.length / 2)]!)]!;
    await bare.stop();
    children.splice(children.indexOf(bare), 1);

    // The service: warm up, wait until the warm-up is processed, then the measured run.
    const inspector = await backend.inspector();
    await runLoad({ origin: service.baseUrl, concurrency, requests: warmup });
    for (let deadline = Date.now() + 60_000; Date.now() < deadline;) {
      if (await inspector.count('select count(*) from callbacks where processed_at is null') === 0) break;
      await sleep(50);
    }
    await sleep(300);
    const eventsBefore = await inspector.count("select count(*) from events where status in ('sent', 'delivered', 'read')");
    if (census) await censusReset(service, censusFile);
    const t0us = monotonicMicros();
    const serviceCpu = cpuMeter([service.process.pid]);
    const run = await runLoad({ origin: service.baseUrl, concurrency, requests, maxMs: 60_000, keepBodies: false });
    const ok = run.results.filter((r) => r?.status === 200).length;
    const httpSeconds = (run.endedAt - run.startedAt) / 1000;
    let events = 0;
    const waitUntil = Date.now() + 60_000;
    for (;;) {
      events = await inspector.count("select count(*) from events where status in ('sent', 'delivered', 'read')") - eventsBefore;
      if (events >= ok || Date.now() > waitUntil) break;
      await sleep(10);
    }
    const t1us = monotonicMicros();
    const serviceCpuS = serviceCpu();
    if (census) for (const line of await censusReport(service, censusFile, n, 'callbacks')) log(line);
    const lastEvent = (await inspector.one<{ last: string | null }>("select max(recorded_at) as last from events where status in ('sent', 'delivered', 'read')")).last;
    const duplicates = await inspector.count('select count(*) from (select message_id, status from events group by message_id, status having count(*) > 1) as twice');
    await inspector.close();
    const seconds = ((lastEvent === null ? Date.now() : Date.parse(lastEvent)) - run.startedAt) / 1000;
    const ingestPerS = events / seconds;
    const ms = run.results.filter((r) => r?.status === 200).map((r) => r!.ms);
    const lost = n - events;
    log(`ingest: ${ok}/${n} answered 200 in ${round(httpSeconds, 2)} s (${round(ok / httpSeconds)}/s; p50 ${round(percentile(ms, 50))} ms, p99 ${round(percentile(ms, 99))} ms), `
      + `${events} events ${round(seconds, 2)} s after the first POST = ${round(ingestPerS)}/s  ${JSON.stringify(statusCounts(run.results))}`
      + `${serviceCpuS !== undefined ? `  service CPU ${round((serviceCpuS * 1000) / n, 3)} ms/callback (bare ${round(median(bareCpu), 3)})` : ''}`);

    if (profDir !== undefined) {
      await service.stop();
      for (const file of profilesIn(profDir.dir)) log(formatSummary(summarizeProfile(file, { fromUs: t0us, toUs: t1us })));
      log(`profiles kept in ${profDir.dir} (open them in Chrome DevTools or speedscope)`);
    }
    return {
      bench: 'ingest',
      ratio: round(ingestPerS / barePerS, 3),
      ingest_per_s: round(ingestPerS),
      bare_per_s: round(barePerS),
      bare_per_s_each: bareRates.map((r) => round(r)),
      p99_ms: round(percentile(ms, 99)),
      lost,
      n,
      concurrency,
      worker_concurrency: concurrency,
      backend: options.db,
      nonces: options.nonces,
      acknowledged_per_s: round(ok / httpSeconds),
      bare_p99_ms: round(percentile(bareMs, 99)),
      non_2xx: n - ok,
      duplicate_events: duplicates,
      // CPU (user + system) per callback: robust when other work shares the machine.
      ...(serviceCpuS !== undefined ? { service_cpu_ms_per_callback: round((serviceCpuS * 1000) / n, 3), bare_cpu_ms_per_callback: round(median(bareCpu), 3) } : {}),
      load_1m: round(loadBefore, 2),
      ...(profDir ? { profiled: true } : {}),
      ...(options.patches.length > 0 ? { experiment: options.patches } : {}),
    };
  } finally {
    await Promise.all(children.map((c) => c.stop(5_000)));
    await backend.remove();
    data.remove();
  }
}
