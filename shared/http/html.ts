/**
 * HTML built with a tagged template that escapes by default: every value interpolated into
 * html`…` is text, unless it is itself the result of html`…` (or of {@link raw}), which is markup already
 * built (and escaped) and goes in as it is. Arrays are joined without a separator; `null`, `undefined` and
 * `false` render nothing, so `condition && html`…`` reads naturally; numbers render as `String(n)`.
 *
 * The approval pages, the approval email and the local dashboard all render through this one function, so
 * a value that reaches a page unescaped has to be spelled `raw(…)` where it is placed.
 */

/**
 * Markup that is safe to embed as it is: built by {@link html}, or declared trusted with {@link raw} (which is
 * all `new Html(…)` is; prefer `raw`, it is easier to search for).
 */
export class Html {
  constructor(private readonly markup: string) {}

  toString(): string {
    return this.markup;
  }
}

/** What may be interpolated: text (escaped), numbers, built markup, nothing, or a list of those. */
export type HtmlValue = Html | string | number | false | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes the five characters that matter in HTML text and in single- or double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Trusted markup (a constant stylesheet, an inline script), embedded without escaping. Never user data. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** The tag: the literal parts as written, each value escaped unless it is {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** The items one after another with `separator` between them (escaped like any value unless it is Html). */
export function join(items: readonly HtmlValue[], separator: HtmlValue): Html {
  return new Html(items.map(render).join(render(separator)));
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}
