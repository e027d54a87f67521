import { Liquid, type Template } from 'liquidjs';

/**
 * Personalised content: Liquid templates (https://liquidjs.com) in any string of a message (text, card fields,
 * WhatsApp template parameters). The customer's attributes are the variables (`{{ first_name }}`, also
 * `{{ customer.first_name }}`), plus `customer.phone`, `customer.id` and `customer.tags`. Sandboxed: no file access (`include`, `render` and
 * `layout` find nothing), own properties only, unknown filters refused when the template is saved, and every
 * render bounded in time and memory.
 */

const noFiles = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async () => { throw new Error('templates cannot read files'); },
  readFileSync: () => { throw new Error('templates cannot read files'); },
  resolve: (_root: string, file: string) => file,
  sep: '/',
};

const engine = new Liquid({
  fs: noFiles, root: [], partials: [], layouts: [], relativeReference: false, dynamicPartials: false,
  ownPropertyOnly: true, strictFilters: true, strictVariables: false,
  // Bounds: parsing 64 KiB of template text, 50 ms and 4 MB of output per render.
  parseLimit: 65_536, renderLimit: 50, memoryLimit: 4_000_000,
});

export interface CompiledContent {
  /** The content with its templates: each string leaf that holds Liquid, by its path (JSON of the keys). */
  readonly content: Record<string, unknown>;
  readonly templates: ReadonlyMap<string, Template[]>;
  /** Attributes used without a `default` filter: a customer without them cannot be personalised. */
  readonly required: readonly string[];
  /** Every attribute the content uses. */
  readonly used: readonly string[];
}

export type CompileResult = { ok: true; compiled: CompiledContent } | { ok: false; field: string; message: string };

const liquidMarkers = /\{\{|\{%/;

function* stringLeaves(value: unknown, keys: Array<string | number>): Generator<[Array<string | number>, string]> {
  if (typeof value === 'string') {
    yield [keys, value];
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* stringLeaves(item, [...keys, i]);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) yield* stringLeaves(v, [...keys, k]);
  }
}

/** `content.a.b[2]["body[1]text"]`: a path for people. */
function fieldOf(prefix: string, keys: ReadonlyArray<string | number>): string {
  return keys.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${out}.${k}` : `${out}[${JSON.stringify(k)}]`), prefix);
}

/** What `customer.` holds besides the attributes (these win over attributes of the same name). */
const customerFields: ReadonlySet<string> = new Set(['id', 'phone', 'tags']);

/** Root variables of one template's outputs, split into those with a `default` filter and those without. */
function variablesOf(templates: Template[]): { required: Set<string>; used: Set<string> } {
  const required = new Set<string>();
  const used = new Set<string>();
  const visit = (nodes: unknown[]) => {
    for (const node of nodes) {
      const n = node as { value?: { initial?: { postfix?: Array<{ content?: unknown; props?: Array<{ content?: unknown }> }> }; filters?: Array<{ name: string }> }; templates?: unknown[]; branches?: Array<{ templates?: unknown[] }>; elseTemplates?: unknown[] };
      const first = n.value?.initial?.postfix?.[0];
      const top = typeof first?.props?.[0]?.content === 'string' ? first.props[0].content : undefined;
      // `customer.first_name` is the attribute first_name; `customer.id`, `.phone` and `.tags` are always there.
      const sub = top === 'customer' ? first?.props?.[1]?.content : undefined;
      const root = top !== 'customer' ? top : typeof sub === 'string' && !customerFields.has(sub) ? sub : undefined;
      if (root !== undefined) {
        used.add(root);
        if (!(n.value?.filters ?? []).some((f) => f.name === 'default')) required.add(root);
      }
      if (Array.isArray(n.templates)) visit(n.templates);
      for (const b of n.branches ?? []) if (Array.isArray(b.templates)) visitOptional(b.templates);
      if (Array.isArray(n.elseTemplates)) visitOptional(n.elseTemplates);
    }
  };
  // Inside `if` / `unless` / `case` branches a variable is not required: the branch may not be taken.
  const visitOptional = (nodes: unknown[]) => {
    const saved = new Set(required);
    visit(nodes);
    for (const v of required) if (!saved.has(v)) required.delete(v);
  };
  visit(templates);
  return { required, used };
}

/** Parses every template in the content; a syntax error or an unknown filter names the field it is in. */
export function compileContent(content: Record<string, unknown>, fieldPrefix = 'content'): CompileResult {
  const templates = new Map<string, Template[]>();
  const required = new Set<string>();
  const used = new Set<string>();
  for (const [keys, text] of stringLeaves(content, [])) {
    if (!liquidMarkers.test(text)) continue;
    const path = JSON.stringify(keys);
    const field = fieldOf(fieldPrefix, keys);
    if (/\{%-?\s*(include|render|layout)\b/.test(text)) return { ok: false, field, message: `${field} may not include other templates (include, render, layout)` };
    let parsed: Template[];
    try {
      parsed = engine.parse(text);
    } catch (error) {
      return { ok: false, field, message: `${field} is not a valid Liquid template: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
    }
    templates.set(path, parsed);
    const vars = variablesOf(parsed);
    for (const v of vars.required) required.add(v);
    for (const v of vars.used) used.add(v);
  }
  return { ok: true, compiled: { content, templates, required: [...required].sort(), used: [...used].sort() } };
}

export interface Recipient {
  id: string;
  phone: string;
  tags: readonly string[];
  attributes: Record<string, unknown>;
}

export type RenderResult =
  | { ok: true; content: Record<string, unknown> }
  | { ok: false; reason: 'missing_attribute'; missing: string[] }
  | { ok: false; reason: 'render_error'; field: string; message: string };

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/**
 * The content for one customer. Attributes in `required` that the customer lacks make it `missing_attribute`
 * unless `renderEmpty` (then they render as empty text).
 */
export function renderContent(compiled: CompiledContent, recipient: Recipient, options: { renderEmpty: boolean }): RenderResult {
  if (!options.renderEmpty) {
    const missing = compiled.required.filter((k) => !present(recipient.attributes[k]));
    if (missing.length > 0) return { ok: false, reason: 'missing_attribute', missing };
  }
  if (compiled.templates.size === 0) return { ok: true, content: compiled.content };
  const scope = { ...recipient.attributes, customer: { ...recipient.attributes, id: recipient.id, phone: recipient.phone, tags: [...recipient.tags] } };
  const out = structuredClone(compiled.content);
  for (const [path, templates] of compiled.templates) {
    const keys = JSON.parse(path) as Array<string | number>;
    let text: string;
    try {
      text = engine.renderSync(templates, scope) as string;
    } catch (error) {
      return { ok: false, reason: 'render_error', field: fieldOf('content', keys), message: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
    }
    setAt(out, keys, text);
  }
  return { ok: true, content: out };
}

/** Sets a string leaf by its keys in an object built like the content. */
function setAt(root: Record<string, unknown>, keys: ReadonlyArray<string | number>, value: string): void {
  let node = root as Record<string | number, unknown>;
  for (const [i, key] of keys.entries()) {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    node = node[key] as Record<string | number, unknown>;
  }
}
