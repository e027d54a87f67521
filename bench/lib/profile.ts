/**
 * Summaries of a V8 `.cpuprofile` (written by `node --cpu-prof`): where the CPU time went, by function (self and
 * inclusive) and by file or package, optionally only for samples inside a time window. Profile timestamps are
 * CLOCK_MONOTONIC microseconds, the clock of `process.hrtime` in any process on the machine, so a benchmark
 * can cut out its measured phase.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './proc.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds of samples inside the window (all kinds, idle included). */
  windowMs: number;
  /** Milliseconds on the CPU (not idle) inside the window. */
  busyMs: number;
  byFile: Array<{ where: string; selfMs: number; pct: number }>;
  selfByFunction: Array<{ fn: string; selfMs: number; pct: number }>;
  /** Inclusive time of the service's own functions (src/): what a call costs with everything it calls. */
  inclusiveService: Array<{ fn: string; totalMs: number; pct: number }>;
}

/** The `.cpuprofile` files in `dir`, newest last. */
export function profilesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => path.join(dir, f));
}

/** Microseconds on the clock profiles use. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const plain = url.replace(/^file:\/\//, '');
  const nm = plain.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = plain.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (plain.startsWith(repoRoot)) return plain.slice(repoRoot.length + 1);
  return plain;
}

function label(node: ProfileNode): string {
  const f = node.callFrame;
  const where = shortUrl(f.url);
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  return where === '' ? name : `${name} ${where}:${f.lineNumber + 1}`;
}

function fileOf(node: ProfileNode): string {
  const where = shortUrl(node.callFrame.url);
  if (where === '') return node.callFrame.functionName; // (garbage collector), (program), (idle), native
  return where.startsWith('npm:') || where.startsWith('node:') ? where : where.replace(/^(src\/[^/]+\/?[^/]*).*$/, '$1');
}

export function summarizeProfile(file: string, window?: { fromUs: number; toUs: number }, top = 40): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let windowUs = 0;
  let idleUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample's time is the gap to the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (window !== undefined && (t < window.fromUs || t > window.toUs)) continue;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined) continue;
    windowUs += dt;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    files.set(fileOf(node), (files.get(fileOf(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (!n.callFrame.url.includes(`${repoRoot}/src/`)) continue;
      const l = label(n);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  }
  const busyUs = windowUs - idleUs;
  const pct = (us: number) => Math.round((us / Math.max(1, busyUs)) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  const ranked = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    file,
    windowMs: ms(windowUs),
    busyMs: ms(busyUs),
    byFile: ranked(files).map(([where, us]) => ({ where, selfMs: ms(us), pct: pct(us) })),
    selfByFunction: ranked(self).map(([fn, us]) => ({ fn, selfMs: ms(us), pct: pct(us) })),
    inclusiveService: ranked(inclusive).map(([fn, us]) => ({ fn, totalMs: ms(us), pct: pct(us) })),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [
    `profile ${s.file}`,
    `  window ${s.windowMs} ms, on CPU ${s.busyMs} ms (${Math.round((s.busyMs / Math.max(1, s.windowMs)) * 100)}% of one core)`,
    '  self time by file/package (% of on-CPU time):',
    ...s.byFile.map((r) => `    ${String(r.pct).padStart(5)}%  ${String(r.selfMs).padStart(8)} ms  ${r.where}`),
    '  self time by function:',
    ...s.selfByFunction.map((r) => `    ${String(r.pct).padStart(5)}%  ${String(r.selfMs).padStart(8)} ms  ${r.fn}`),
    '  inclusive time of service functions (src/):',
    ...s.inclusiveService.map((r) => `    ${String(r.pct).padStart(5)}%  ${String(r.totalMs).padStart(8)} ms  ${r.fn}`),
  ];
  return lines.join('\n');
}
