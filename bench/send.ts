/**
 * `npm run bench -- send`: messages per second through the whole pipeline (POST to our API → durable queue →
 * worker → the emulator accepts → our record of `enqueued`), beside a raw undici loop POSTing the same
 * `messages:send` requests straight to the same emulator endpoint, at the same concurrency, in the same run.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createBackend, type BackendKind } from './lib/backend.ts';
import { censusReport, censusReset } from './lib/census.ts';
import { median, percentile, round, runLoad, warmUntilSteady, statusCounts, type LoadRequest } from './lib/load.ts';
import { formatSummary, monotonicMicros, profilesIn, summarizeProfile } from './lib/profile.ts';
import { cpuMeter, emulatorAccount, sleep, startEmulator, startService, tempDir, type Child } from './lib/proc.ts';
import { callJson, recipientOf, sendAndWait, sendRequest, setUpProject } from './lib/service.ts';

export interface SendBenchOptions {
  n: number;
  concurrency: number;
  warmup: number;
  /** Write a CPU profile of the service (and the emulator) and print where the measured phase spent its time. */
  cpuProf: boolean;
  /** Experiments: runtime patches of the service (bench/patched-main.ts); never for headline numbers. */
  patches: string[];
  /** Where the service keeps its data. */
  db: BackendKind;
  /** Service processes sharing the database (PostgreSQL only), each receiving an equal share of the API load. */
  instances: number;
  log: (line: string) => void;
}

async function emulatorToken(emulator: Child): Promise<string> {
  const basic = Buffer.from(`${emulatorAccount.accessKey}:${emulatorAccount.accessSecret}`).toString('base64');
  const res = await fetch(`${emulator.baseUrl}/oauth2/token`, {
    method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`emulator token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The `messages:send` request our worker makes for message `index` (src/providers/sinch/mapping.ts). */
function rawSendRequest(token: string, index: number): LoadRequest {
  const id = `msg_raw${String(index).padStart(19, '0')}`;
  return {
    method: 'POST',
    path: `/v1/projects/${emulatorAccount.projectId}/messages:send`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      app_id: emulatorAccount.appId,
      recipient: { identified_by: { channel_identities: [{ channel: 'RCS', identity: recipientOf(index).slice(1) }] } },
      message: { text_message: { text: `Load message ${index}` } },
      message_metadata: id,
      correlation_id: id,
    }),
  };
}

async function resetEmulator(emulator: Child): Promise<void> {
  const r = await callJson(emulator.baseUrl, 'POST', '/_emulator/reset?keep_apps=true');
  if (r.status !== 200) throw new Error(`emulator reset: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Runs of the baseline per benchmark run (it takes a second or two): the median is used. */
const baselineRepeats = 3;
/** The emulator's project limit is lifted for the run, so is ours (the setting exists for accounts Sinch raised). */
const projectLimitLifted = 100_000;

export async function benchSend(options: SendBenchOptions): Promise<Record<string, unknown>> {
  const { n, concurrency, log } = options;
  if (options.instances > 1 && options.db !== 'postgres') throw new Error('several instances need --db postgres (SQLite is one process)');
  const loadBefore = loadavg()[0]!;
  const data = tempDir('mm-bench-send-');
  const backend = await createBackend(options.db, data.dir);
  const profDir = options.cpuProf ? tempDir('mm-bench-prof-') : undefined;
  const children: Child[] = [];
  const census = options.patches.includes('sql-census');
  const censusFile = path.join(data.dir, 'sql-census.json');
  try {
    const emulator = await startEmulator({ ...(profDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profDir.dir}`, '--cpu-prof-name=emulator.cpuprofile'] } : {}) });
    children.push(emulator);
    const adminToken = `mma_${randomBytes(24).toString('hex')}`;
    const services: Child[] = [];
    for (let i = 0; i < options.instances; i += 1) {
      const service = await startService({
        dataDir: backend.dataDir(i), adminToken, sinchUrl: emulator.baseUrl, patches: options.patches,
        env: { ...backend.env, WORKER_CONCURRENCY: String(concurrency), SINCH_PROJECT_REQUESTS_PER_SECOND: String(projectLimitLifted), BENCH_CENSUS_FILE: censusFile },
        ...(profDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profDir.dir}`, `--cpu-prof-name=service-${i}.cpuprofile`] } : {}),
      });
      children.push(service);
      services.push(service);
    }
    const service = services[0]!;
    const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000 });
    const token = await emulatorToken(emulator);

    // Warm-up of both paths (JIT, connections, Sinch token), then a clean emulator.
    // (The raw loop and the emulator reach full speed only after some ten thousand requests: until steady.)
    const warmRates = await warmUntilSteady(async () => {
      const run = await runLoad({ origin: emulator.baseUrl, concurrency, requests: Array.from({ length: Math.max(n, options.warmup) }, (_, k) => rawSendRequest(token, n + k)) });
      await resetEmulator(emulator);
      return run.results.filter((r) => r?.status === 200).length / ((run.endedAt - run.startedAt) / 1000);
    });
    log(`raw warm-up: ${warmRates.map((r) => round(r)).join(', ')} /s`);
    for (const [i, s] of services.entries()) await sendAndWait(s.baseUrl, setup, options.warmup, { firstIndex: n + i * options.warmup, concurrency });
    await resetEmulator(emulator);
    await sleep(500);

    // Raw: the same endpoint, same concurrency, nothing in between. It is short, so it runs three times
    // (clean emulator each time) and the median counts.
    const rawRates: number[] = [];
    const rawCpu: number[] = [];
    for (let i = 0; i < baselineRepeats; i += 1) {
      const emulatorCpu = cpuMeter([emulator.process.pid]);
      const raw = await runLoad({ origin: emulator.baseUrl, concurrency, requests: Array.from({ length: n }, (_, k) => rawSendRequest(token, k)), maxMs: 60_000 });
      const rawOk = raw.results.filter((r) => r?.status === 200).length;
      const rawSeconds = (raw.endedAt - raw.startedAt) / 1000;
      rawRates.push(rawOk / rawSeconds);
      const cpu = emulatorCpu();
      if (cpu !== undefined) rawCpu.push((cpu * 1000) / n);
      log(`raw:      ${rawOk}/${n} accepted by the emulator in ${round(rawSeconds, 2)} s = ${round(rawOk / rawSeconds)}/s  ${JSON.stringify(statusCounts(raw.results))}`
        + `${cpu !== undefined ? `  emulator CPU ${round((cpu * 1000) / n, 3)} ms/message` : ''}`);
      await resetEmulator(emulator);
      await sleep(500);
    }
    const rawPerS = median(rawRates);

    // Pipeline: POST to our API (spread over the instances); done when the last message is recorded `enqueued`.
    const inspector = await backend.inspector();
    if (census) await censusReset(service, censusFile);
    const since = new Date().toISOString();
    const t0us = monotonicMicros();
    const serviceCpu = cpuMeter(services.map((s) => s.process.pid));
    const emulatorCpu = cpuMeter([emulator.process.pid]);
    const posted = await runLoadAcross(services, concurrency, Array.from({ length: n }, (_, i) => sendRequest(setup, i)));
    const accepted = posted.results.filter((r) => r?.status === 202).length;
    const deadline = Date.now() + 90_000;
    let done: { queued: number; enqueued: number; other: number; last: string | null };
    for (;;) {
      done = await inspector.one<typeof done>(`select sum(case when status = 'queued' then 1 else 0 end) as queued,
        sum(case when status = 'enqueued' then 1 else 0 end) as enqueued,
        sum(case when status not in ('queued', 'enqueued') then 1 else 0 end) as other, max(case when status = 'enqueued' then updated_at end) as last
        from messages where created_at >= ?`, since);
      if (Number(done.queued) === 0 || Date.now() > deadline) break;
      await sleep(20);
    }
    const t1us = monotonicMicros();
    const serviceCpuS = serviceCpu();
    const emulatorCpuS = emulatorCpu();
    if (census) for (const line of await censusReport(service, censusFile, n, 'messages')) log(line);
    await inspector.close();
    const lastEnqueued = done.last === null ? Date.now() : Date.parse(done.last);
    const pipelineSeconds = (lastEnqueued - posted.startedAt) / 1000;
    const pipelinePerS = Number(done.enqueued) / pipelineSeconds;
    const apiMs = posted.results.filter((r) => r?.status === 202).map((r) => r!.ms);
    log(`pipeline: ${accepted}/${n} accepted (202) in ${round((posted.endedAt - posted.startedAt) / 1000, 2)} s, ${Number(done.enqueued)} enqueued at Sinch ${round(pipelineSeconds, 2)} s after the first POST = ${round(pipelinePerS)}/s`
      + `  (API p50 ${round(percentile(apiMs, 50))} ms, p99 ${round(percentile(apiMs, 99))} ms; still queued ${Number(done.queued)}, other ${Number(done.other)})`
      + `${serviceCpuS !== undefined ? `  service CPU ${round((serviceCpuS * 1000) / n, 3)} ms/message, emulator CPU ${round((emulatorCpuS! * 1000) / n, 3)} ms/message` : ''}`);

    if (profDir !== undefined) {
      for (const s of services) await s.stop();
      await emulator.stop();
      for (const file of profilesIn(profDir.dir)) log(formatSummary(summarizeProfile(file, { fromUs: t0us, toUs: t1us })));
      log(`profiles kept in ${profDir.dir} (open them in Chrome DevTools or speedscope)`);
    }
    return {
      bench: 'send',
      ratio: round(pipelinePerS / rawPerS, 3),
      pipeline_per_s: round(pipelinePerS),
      raw_per_s: round(rawPerS),
      raw_per_s_each: rawRates.map((r) => round(r)),
      n,
      concurrency,
      worker_concurrency: concurrency,
      backend: options.db,
      instances: options.instances,
      accepted_per_s: round(accepted / ((posted.endedAt - posted.startedAt) / 1000)),
      api_p99_ms: round(percentile(apiMs, 99)),
      not_enqueued: n - Number(done.enqueued),
      // CPU (user + system) per message: robust when other work shares the machine.
      ...(serviceCpuS !== undefined ? {
        service_cpu_ms_per_msg: round((serviceCpuS * 1000) / n, 3),
        emulator_cpu_ms_per_msg: round((emulatorCpuS! * 1000) / n, 3),
        raw_emulator_cpu_ms_per_msg: round(median(rawCpu), 3),
      } : {}),
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

/** The same load spread evenly over several service instances (one load generator per instance, together `concurrency`). */
async function runLoadAcross(services: Child[], concurrency: number, requests: LoadRequest[]) {
  const share = (i: number) => requests.filter((_, k) => k % services.length === i);
  const runs = await Promise.all(services.map((s, i) => runLoad({ origin: s.baseUrl, concurrency: Math.max(1, Math.floor(concurrency / services.length)), requests: share(i), maxMs: 60_000 })));
  return {
    results: runs.flatMap((r) => r.results),
    startedAt: Math.min(...runs.map((r) => r.startedAt)),
    endedAt: Math.max(...runs.map((r) => r.endedAt)),
  };
}
