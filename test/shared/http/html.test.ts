import { escapeHtml, html, join, raw, type HtmlValue } from '../../../shared/http/html';

describe('the html tag', () => {
  it('when a value holds each of & < > " \', it escapes all five', () => {
    // Prepare
    const value = `<a href="x" onclick='y'>&amp;</a>`;

    // Act
    const out = html`<p title="${value}">${value}</p>`.toString();

    // Assess
    const escaped = '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;';
    expect(out).toBe(`<p title="${escaped}">${escaped}</p>`);
    expect(escapeHtml(value)).toBe(escaped);
  });

  it('when the template holds markup, it keeps the literal parts exactly as written', () => {
    // Act
    const out = html`<pre>
  a & b <i>${'c'}</i>
</pre>`.toString();

    // Assess
    expect(out).toBe('<pre>\n  a & b <i>c</i>\n</pre>');
  });

  it('when a template is nested in another, the inner markup is embedded once, not escaped again', () => {
    // Prepare
    const inner = html`<b>${'<x> & "y"'}</b>`;

    // Act
    const out = html`<p>${inner}</p>`.toString();

    // Assess
    expect(out).toBe('<p><b>&lt;x&gt; &amp; &quot;y&quot;</b></p>');
  });

  it('when markup is declared trusted with raw(), it goes in unescaped; the same text as a string does not', () => {
    // Prepare
    const style = 'p > a { color: red }';

    // Act
    const out = html`<style>${raw(style)}</style><p>${style}</p>`.toString();

    // Assess
    expect(out).toBe('<style>p > a { color: red }</style><p>p &gt; a { color: red }</p>');
  });

  it('when a value is an array, its items are rendered one after another, each escaped unless markup', () => {
    // Prepare
    const items: HtmlValue[] = ['<a>', html`<br>`, 1, ['&', html`<i>i</i>`], null];

    // Act
    const out = html`<div>${items}</div>`.toString();

    // Assess
    expect(out).toBe('<div>&lt;a&gt;<br>1&amp;<i>i</i></div>');
  });

  it('when values are null, undefined or false, they render nothing; numbers render as themselves', () => {
    // Act
    const out = html`[${null}][${undefined}][${false}][${0}][${-1.5}][${Number.NaN}][${''}]`.toString();

    // Assess
    expect(out).toBe('[][][][0][-1.5][NaN][]');
  });

  it('when a condition guards a fragment with &&, a false condition leaves nothing behind', () => {
    // Prepare
    const fragment = (show: boolean) => html`<p>${show && html`<em>shown</em>`}</p>`.toString();

    // Act & Assess
    expect(fragment(true)).toBe('<p><em>shown</em></p>');
    expect(fragment(false)).toBe('<p></p>');
  });

  it('when items are joined, the separator goes between them and is escaped unless it is markup', () => {
    // Act
    const lines = join(['a<', html`<b>b</b>`, 'c'], '\n').toString();
    const rows = join(['x', 'y'], html`<br>`).toString();
    const text = join(['x', 'y'], ' & ').toString();
    const none = join([], html`<br>`).toString();

    // Assess
    expect(lines).toBe('a&lt;\n<b>b</b>\nc');
    expect(rows).toBe('x<br>y');
    expect(text).toBe('x &amp; y');
    expect(none).toBe('');
  });

  it('when a value only looks like markup (a string with toString), it is still escaped', () => {
    // Prepare
    const impostor = { toString: () => '<script>alert(1)</script>' } as unknown as string;

    // Act
    const out = html`${impostor}`.toString();

    // Assess
    expect(out).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
