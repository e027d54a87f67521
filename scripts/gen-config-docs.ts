/** Regenerates docs/configuration.md and the README's configuration table from src/config/schema.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigDoc, replaceReadmeTable } from '../src/config/docs.ts';

writeFileSync('docs/configuration.md', renderConfigDoc());
writeFileSync('README.md', replaceReadmeTable(readFileSync('README.md', 'utf8')));
console.log('docs/configuration.md and README.md updated');
