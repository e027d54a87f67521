/**
 * Benchmarks: `npm run bench -- send|ingest|lanes|loop|campaign|all [--n N] [--concurrency C] [--runs R] [--cpu-prof]
 * [--db sqlite|postgres] [--instances I]`, and `npm run bench -- sqlite` (cost of the callback's write transaction
 * on the service's schema, for the findings). Each run starts its own processes (service on SQLite in a temp
 * directory or on a PostgreSQL database created for the run, standalone emulator, bare server) on 127.0.0.1 and
 * stops them. With `--runs R` a benchmark runs R times and reports the median. The last line of stdout is one JSON
 * object (for `all`: `{"send": …, "ingest": …, "lanes": …, "loop": …}`). `--experiment p1,p2` runs the service
 * with runtime patches that try out an optimisation (bench/patched-main.ts): for findings, not for results.
 */
import { parseArgs } from 'node:util';
import { median, round } from './lib/load.ts';
import { benchSend } from './send.ts';
import { benchIngest } from './ingest.ts';
import { benchSqlite } from './sqlite-commit.ts';
import { benchLanes } from './lanes.ts';
import { benchLoop } from './loop.ts';
import { benchCampaign } from './campaign.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string' },
    concurrency: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    'cpu-prof': { type: 'boolean' },
    experiment: { type: 'string' },
    db: { type: 'string' },
    instances: { type: 'string' },
    backlog: { type: 'string' },
    reports: { type: 'string' },
    nonces: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const usage = 'usage: npm run bench -- send|ingest|lanes|loop|campaign|all|sqlite [--n N] [--concurrency C] [--runs R] [--warmup W] [--cpu-prof] '
  + '[--db sqlite|postgres] [--instances I (send, postgres)] [--backlog B --reports R (lanes)] [--nonces ulid|random (ingest)] [--experiment sql-census]';
const which = positionals[0] ?? 'all';
if (values.help === true || !['send', 'ingest', 'lanes', 'loop', 'campaign', 'all', 'sqlite'].includes(which)) {
  console.log(usage);
  process.exit(values.help === true ? 0 : 2);
}

function int(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1 || v > max) {
    console.error(`--${name} must be an integer from 1 to ${max}`);
    process.exit(2);
  }
  return v;
}

const runs = int('runs', values.runs, 1, 5);
const db = values.db ?? 'sqlite';
if (db !== 'sqlite' && db !== 'postgres') {
  console.error('--db must be sqlite or postgres (postgres: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)');
  process.exit(2);
}
const instances = int('instances', values.instances, 1, 4);
const nonces = values.nonces ?? 'ulid';
if (nonces !== 'ulid' && nonces !== 'random') {
  console.error('--nonces must be ulid (as Sinch signs) or random (a UUID each, the method before 2026-11-30 14:00)');
  process.exit(2);
}
if (instances > 1 && db !== 'postgres') {
  console.error('--instances above 1 needs --db postgres (SQLite is one process)');
  process.exit(2);
}
const concurrency = int('concurrency', values.concurrency, 64, 512);
const cpuProf = values['cpu-prof'] === true;
/** Runtime patches of the service to measure a suggested optimisation (bench/patched-main.ts). */
const patches = (values.experiment ?? '').split(',').map((p) => p.trim()).filter(Boolean);
const log = (line: string) => console.log(line);

/**
 * Runs one benchmark `runs` times. One run: its JSON. Several: every numeric field is the median over the runs,
 * `lost` and `non_2xx` are sums, and the main fields also list each run's value (`<field>_runs`).
 */
async function repeat(name: string, once: () => Promise<Record<string, unknown>>, keys: string[]): Promise<Record<string, unknown>> {
  const all: Array<Record<string, unknown>> = [];
  for (let i = 0; i < runs; i += 1) {
    if (runs > 1) log(`${name} run ${i + 1}/${runs}`);
    const result = await once();
    log(JSON.stringify(result));
    all.push(result);
  }
  if (all.length === 1) return all[0]!;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all[0]!)) {
    if (typeof value !== 'number' || ['n', 'concurrency', 'worker_concurrency'].includes(key)) {
      out[key] = value;
      continue;
    }
    const xs = all.map((r) => Number(r[key]));
    out[key] = ['lost', 'non_2xx', 'not_enqueued', 'duplicate_events', 'sent_after_stop'].includes(key)
      ? xs.reduce((a, b) => a + b, 0)
      : round(median(xs), key === 'ratio' ? 3 : key.includes('cpu') ? 3 : 1);
    if (keys.includes(key)) out[`${key}_runs`] = xs;
  }
  out.runs = all.length;
  delete out.raw_per_s_each;
  delete out.bare_per_s_each;
  return out;
}

const started = Date.now();
const results: Record<string, Record<string, unknown>> = {};
if (which === 'send' || which === 'all') {
  results.send = await repeat('send', () => benchSend({
    n: int('n', values.n, 4_000, 10_000), concurrency, warmup: int('warmup', values.warmup, 500, 5_000), cpuProf, patches, db, instances, log,
  }), ['ratio', 'pipeline_per_s', 'raw_per_s', 'service_cpu_ms_per_msg', 'raw_emulator_cpu_ms_per_msg']);
}
if (which === 'ingest' || which === 'all') {
  results.ingest = await repeat('ingest', () => benchIngest({
    n: int('n', values.n, 6_000, 30_000), concurrency, warmup: int('warmup', values.warmup, 1_000, 5_000), cpuProf, patches, db, nonces, log,
  }), ['ratio', 'ingest_per_s', 'bare_per_s', 'p99_ms', 'service_cpu_ms_per_callback', 'bare_cpu_ms_per_callback']);
}
if (which === 'lanes' || which === 'all') {
  results.lanes = await repeat('lanes', () => benchLanes({
    backlog: int('backlog', values.backlog, 20_000, 200_000), reports: int('reports', values.reports, 500, 10_000), concurrency, db, log,
  }), ['report_p99_ms', 'stop_applied_ms', 'sent_after_stop']);
}
if (which === 'loop' || which === 'all') {
  results.loop = await repeat('loop', () => benchLoop({
    n: int('n', values.n, 3_000, 30_000), concurrency, warmup: int('warmup', values.warmup, 300, 5_000), db, log,
  }), ['tracked_per_s', 'service_cpu_ms_per_msg', 'emulator_cpu_ms_per_msg']);
}
if (which === 'campaign' || which === 'all') {
  results.campaign = await repeat('campaign', () => benchCampaign({
    n: which === 'all' ? 100_000 : int('n', values.n, 100_000, 2_000_000), db, reads: 500, cpuProf, log,
  }), ['ratio', 'fanout_per_s', 'raw_insert_per_s', 'peak_rss_mb', 'report_p99_ms']);
}
if (which === 'sqlite') results.sqlite = await benchSqlite({ n: int('n', values.n, 6_000, 100_000), log });
log(`(${round((Date.now() - started) / 1000)} s)`);
console.log(JSON.stringify(which === 'all' ? results : results[which]));
process.exit(0);
