import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

const root = path.join(import.meta.dirname, '..', '..');

/** Debian's chromium (`.ci/run` installs it), driven by playwright-core. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/**
 * Steps of a browser test: each failure names its step, saves a screenshot of every page given to test-results/
 * (gitignored), and shows the pages' failed requests and errors and the end of the service's output; `shot` saves
 * a README screenshot when SCREENSHOTS_DIR is set (`SCREENSHOTS_DIR=docs/images`).
 */
export function browserSteps(prefix: string, serviceOutput: () => string) {
  const log: string[] = [];
  return {
    /** Keeps the page's failed requests and script errors for a failing step's message. */
    watch: (page: Page): void => {
      page.on('requestfailed', (r) => log.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
      page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
    },
    step: async (name: string, pages: Page | Page[], run: () => Promise<void>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        const dir = path.join(root, 'test-results');
        mkdirSync(dir, { recursive: true });
        for (const [i, page] of (Array.isArray(pages) ? pages : [pages]).entries()) {
          await page.screenshot({ path: path.join(dir, `${prefix}-${name.replace(/\W+/g, '-')}-${i}.png`), fullPage: true }).catch(() => undefined);
        }
        throw new Error(`step "${name}" failed: ${error instanceof Error ? error.message : String(error)}\n--- browser ---\n${log.slice(-20).join('\n')}\n--- service output ---\n${serviceOutput().slice(-4000)}`);
      }
    },
    /** The script errors seen in the watched pages so far. */
    pageErrors: (): string[] => {
      return log.filter((l) => l.startsWith('page error'));
    },
    shot: async (page: Page, name: string): Promise<void> => {
      const dir = process.env.SCREENSHOTS_DIR;
      if (dir !== undefined) await page.screenshot({ path: path.join(root, dir, `console-${name}.png`) });
    },
  };
}
