/**
 * Reading the SQL census of a service started with the `sql-census` patch (bench/patched-main.ts): SIGUSR2 makes
 * it write what ran since the previous SIGUSR2. Experiments only.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { sleep, type Child } from './proc.ts';
import { round } from './load.ts';

interface Entry { prepares: number; prepareUs: number; runs: number; runUs: number }

async function snapshot(child: Child, file: string): Promise<Record<string, Entry>> {
  rmSync(file, { force: true });
  child.process.kill('SIGUSR2');
  for (let deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(20)) {
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>;
      } catch {
        // still being written
      }
    }
  }
  throw new Error('no SQL census from the service');
}

/** Starts counting afresh (what ran so far is dropped). */
export async function censusReset(child: Child, file: string): Promise<void> {
  await snapshot(child, file);
}

/** What ran since the reset, per unit of work (`units`: messages or callbacks), as printable lines. */
export async function censusReport(child: Child, file: string, units: number, unitName: string): Promise<string[]> {
  const data = await snapshot(child, file);
  const rows = Object.entries(data).map(([sql, e]) => ({ sql: sql.replace(/\s+/g, ' ').slice(0, 110), ...e }));
  const total = rows.reduce((a, r) => ({ prepares: a.prepares + r.prepares, prepareUs: a.prepareUs + r.prepareUs, runs: a.runs + r.runs, runUs: a.runUs + r.runUs }),
    { prepares: 0, prepareUs: 0, runs: 0, runUs: 0 });
  const per = (x: number) => round(x / units, 2);
  const lines = [
    `SQL census over ${units} ${unitName}: per ${unitName.replace(/s$/, '')} ${per(total.runs)} statements executed, ${per(total.prepares)} prepared; `
      + `per ${unitName.replace(/s$/, '')} ${round(total.prepareUs / units)} µs preparing + ${round(total.runUs / units)} µs executing (node:sqlite, synchronous on the main thread)`,
    '  execs/unit  prep µs/unit  exec µs/unit  µs/exec  statement',
  ];
  for (const r of rows.sort((a, b) => (b.prepareUs + b.runUs) - (a.prepareUs + a.runUs)).slice(0, 25)) {
    lines.push(`  ${String(per(r.runs)).padStart(10)}  ${String(round(r.prepareUs / units)).padStart(12)}  ${String(round(r.runUs / units)).padStart(12)}  ${String(round(r.runUs / Math.max(1, r.runs))).padStart(7)}  ${r.sql}`);
  }
  return lines;
}
