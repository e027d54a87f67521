import { useEffect, useState } from 'react';
import type { Liquid } from 'liquidjs';

/**
 * The live preview's Liquid: the same engine (liquidjs) and the same variables as the service's personalisation
 * (src/domain/personalize.ts), so the phone frame shows what a customer would get: their attributes by name
 * (`{{ first_name }}`, also `{{ customer.first_name }}`), and `customer.id`, `customer.phone`, `customer.tags`. Loaded on demand (about 32 KB
 * gzipped) when the campaign builder opens, never with the first page.
 */

/** A customer to personalise for, as the segment preview lists them. */
export interface Sample { id?: string; phone?: string; tags?: readonly string[]; attributes?: Record<string, unknown> }

const noFiles = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (): Promise<string> => { throw new Error('templates cannot read files'); },
  readFileSync: (): string => { throw new Error('templates cannot read files'); },
  resolve: (_root: string, file: string) => file,
  sep: '/',
};

let loading: Promise<Liquid> | undefined;

function loadLiquid(): Promise<Liquid> {
  loading ??= import('liquidjs').then(({ Liquid: Engine }) => new Engine({
    fs: noFiles, root: [], partials: [], layouts: [], relativeReference: false, dynamicPartials: false,
    ownPropertyOnly: true, strictFilters: true, strictVariables: false, parseLimit: 65_536, renderLimit: 50, memoryLimit: 4_000_000,
  }));
  return loading;
}

const liquidMarkers = /\{\{|\{%/;

export type Personalise = (template: string) => string;

/**
 * A function that fills a text for the sample customer. Until the engine has loaded, and for a text the engine
 * cannot render (the service names the problem when the campaign is saved), the text is shown as written.
 */
export function usePersonalise(sample: Sample | undefined): Personalise {
  const [engine, setEngine] = useState<Liquid | undefined>();
  useEffect(() => {
    let live = true;
    void loadLiquid().then((e) => { if (live) setEngine(e); });
    return () => { live = false; };
  }, []);
  return (template: string) => {
    // No customer to personalise for (stored content, an empty audience): the text as written.
    if (engine === undefined || sample === undefined || !liquidMarkers.test(template)) return template;
    const scope = { ...sample?.attributes, customer: { ...sample?.attributes, id: sample?.id ?? '', phone: sample?.phone ?? '', tags: [...(sample?.tags ?? [])] } };
    try {
      return engine.parseAndRenderSync(template, scope) as string;
    } catch {
      return template;
    }
  };
}
