import { settings, type Setting } from './schema.ts';

/** The configuration table in Markdown, generated from the schema so docs and code cannot drift. */
export function renderConfigTable(): string {
  const rows = Object.values(settings).map((s: Setting<unknown>) =>
    `| \`${s.env}\` | ${s.defaultText !== undefined ? `\`${s.defaultText}\`` : '(unset)'} | ${s.secret === true ? 'yes' : ''} | ${s.description} |`);
  return ['| Variable | Default | Secret | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export function renderConfigDoc(): string {
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand. -->',
    '',
    'Every setting comes from an environment variable, is read once at start and validated as a whole:',
    'the service refuses to start and lists every problem at once (e.g. `PORT must be an integer from 1 to 65535`).',
    'Values of secret settings are never logged or echoed in error messages.',
    '',
    renderConfigTable(),
    '',
  ].join('\n');
}

export const readmeMarkers = { start: '<!-- config:start -->', end: '<!-- config:end -->' } as const;

export function replaceReadmeTable(readme: string): string {
  const start = readme.indexOf(readmeMarkers.start);
  const end = readme.indexOf(readmeMarkers.end);
  if (start < 0 || end < start) throw new Error('README.md has no configuration markers');
  return `${readme.slice(0, start + readmeMarkers.start.length)}\n${renderConfigTable()}\n${readme.slice(end)}`;
}
