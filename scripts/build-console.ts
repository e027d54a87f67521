/**
 * Builds the web console (console/ → console/dist) with Vite. Run by `npm install` (postinstall) and by `npm start`
 * before the service starts, so the README's two commands always give a working console. With `--if-stale` it
 * builds only when the console's sources (or the lockfile) changed since the last build: a fingerprint of them is
 * kept in console/dist/.fingerprint.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const consoleDir = path.join(root, 'console');
const outDir = path.join(consoleDir, 'dist');
const marker = path.join(outDir, '.fingerprint');

function files(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

function fingerprint(): string {
  const hash = createHash('sha256');
  const inputs = [...files(path.join(consoleDir, 'src')), path.join(consoleDir, 'index.html'), path.join(consoleDir, 'vite.config.ts'), path.join(root, 'package-lock.json')];
  for (const file of inputs.filter((f) => existsSync(f))) hash.update(path.relative(root, file)).update(readFileSync(file));
  return hash.digest('hex');
}

const ifStale = process.argv.includes('--if-stale');
const wanted = fingerprint();
if (ifStale && existsSync(marker) && readFileSync(marker, 'utf8').trim() === wanted && existsSync(path.join(outDir, 'index.html'))) process.exit(0);

const started = Date.now();
console.log('Building the web console (console/ → console/dist)…');
const { build } = await import('vite');
await build({ configFile: path.join(consoleDir, 'vite.config.ts'), logLevel: 'warn' });
// Compressed copies beside each asset: the service sends them to browsers that accept them (preCompressed).
for (const file of files(path.join(outDir, 'assets')).filter((f) => /\.(js|css|svg)$/.test(f))) {
  const content = readFileSync(file);
  writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
  writeFileSync(`${file}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}
writeFileSync(marker, `${wanted}\n`);
console.log(`Web console built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
