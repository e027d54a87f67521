/**
 * `npm run bench -- loop`: the whole life of a message on one instance. Messages go through the API to the
 * emulator, which answers each with its three delivery reports (QUEUED_ON_CHANNEL, DELIVERED, READ) through the
 * registered webhook, signed; the service applies them and tracks every status. Measured: messages fully tracked
 * (their `read` event recorded) per second, and CPU per message of the service and of the emulator. A full Sinch
 * project is 800 messages/s with all their reports.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { createBackend, type BackendKind } from './lib/backend.ts';
import { percentile, round, runLoad, statusCounts } from './lib/load.ts';
import { callJson, sendRequest, setUpProject } from './lib/service.ts';
import { cpuMeter, sleep, startEmulator, startService, tempDir, type Child } from './lib/proc.ts';

export interface LoopBenchOptions {
  n: number;
  concurrency: number;
  warmup: number;
  db: BackendKind;
  log: (line: string) => void;
}

/** Message `k`'s index for `recipientOf`, skipping numbers ending 0000–0019, which the emulator fails or never reads. */
const ordinary = (k: number) => k + 20 * (1 + Math.floor(k / 9_980));

export async function benchLoop(options: LoopBenchOptions): Promise<Record<string, unknown>> {
  const { n, concurrency, log } = options;
  const loadBefore = loadavg()[0]!;
  const data = tempDir('mm-bench-loop-');
  const backend = await createBackend(options.db, data.dir);
  const children: Child[] = [];
  try {
    // Reports follow each accepted message after 50 ms, 100 ms and 150 ms.
    const emulator = await startEmulator({ knobs: { queued_delay_ms: 50, delivered_delay_ms: 50, read_delay_ms: 50 } });
    children.push(emulator);
    const adminToken = `mma_${randomBytes(24).toString('hex')}`;
    const service = await startService({
      dataDir: backend.dataDir(0), adminToken, sinchUrl: emulator.baseUrl,
      env: { ...backend.env, WORKER_CONCURRENCY: String(concurrency), SINCH_PROJECT_REQUESTS_PER_SECOND: '100000' },
    });
    children.push(service);
    const setup = await setUpProject(service.baseUrl, adminToken, { sendRatePerSecond: 10_000 });
    const registered = await callJson(service.baseUrl, 'POST', `/api/v1/projects/${setup.projectId}/integrations/${setup.integrationId}/register-webhook`, adminToken);
    if (registered.body?.ok !== true) throw new Error(`register-webhook: ${JSON.stringify(registered.body)}`);

    const inspector = await backend.inspector();
    // A message is fully tracked once its last report, READ, is in.
    const reads = () => inspector.count(`select count(*) from events where status = 'read' and project_id = ?`, setup.projectId);
    // Warm-up: the whole loop, until its reports are in.
    await runLoad({ origin: service.baseUrl, concurrency, requests: Array.from({ length: options.warmup }, (_, i) => sendRequest(setup, ordinary(n + i))), maxMs: 60_000 });
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && await reads() < options.warmup;) await sleep(50);
    const before = await reads();

    const serviceCpu = cpuMeter([service.process.pid]);
    const emulatorCpu = cpuMeter([emulator.process.pid]);
    const posted = await runLoad({ origin: service.baseUrl, concurrency, requests: Array.from({ length: n }, (_, i) => sendRequest(setup, ordinary(i))), maxMs: 60_000 });
    const accepted = posted.results.filter((r) => r?.status === 202).length;
    let done = 0;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      done = await reads() - before;
      if (done >= accepted) break;
      await sleep(20);
    }
    const last = (await inspector.one<{ last: string | null }>(`select max(recorded_at) as last from events where status = 'read' and project_id = ?`, setup.projectId)).last;
    const serviceCpuS = serviceCpu();
    const emulatorCpuS = emulatorCpu();
    const events = await inspector.count(`select count(*) from events where project_id = ? and status in ('enqueued', 'sent', 'delivered', 'read')`, setup.projectId);
    const duplicates = await inspector.count('select count(*) from (select message_id, status from events group by message_id, status having count(*) > 1) as twice');
    await inspector.close();
    const seconds = ((last === null ? Date.now() : Date.parse(last)) - posted.startedAt) / 1000;
    const perS = done / seconds;
    const apiMs = posted.results.filter((r) => r?.status === 202).map((r) => r!.ms);
    log(`loop: ${accepted}/${n} accepted ${JSON.stringify(statusCounts(posted.results))}, ${done} fully tracked (read) ${round(seconds, 2)} s after the first POST = ${round(perS)} messages/s`
      + `${serviceCpuS !== undefined ? `  service CPU ${round((serviceCpuS * 1000) / n, 3)} ms/message, emulator CPU ${round((emulatorCpuS! * 1000) / n, 3)} ms/message` : ''}`);
    return {
      bench: 'loop',
      tracked_per_s: round(perS),
      n,
      fully_tracked: done,
      events: events - 4 * options.warmup,
      duplicate_events: duplicates,
      api_p99_ms: round(percentile(apiMs, 99)),
      ...(serviceCpuS !== undefined ? { service_cpu_ms_per_msg: round((serviceCpuS * 1000) / n, 3), emulator_cpu_ms_per_msg: round((emulatorCpuS! * 1000) / n, 3) } : {}),
      concurrency,
      backend: options.db,
      load_1m: round(loadBefore, 2),
    };
  } finally {
    await Promise.all(children.map((c) => c.stop(5_000)));
    await backend.remove();
    data.remove();
  }
}
