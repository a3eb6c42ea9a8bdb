/** Server-rendered Russian pages: plain HTML, no external assets, escaped by default. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** A fragment already escaped; `html` tagged templates escape everything else. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = string | number | SafeHtml | readonly SafeHtml[] | null | undefined | false;

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: SafeHtml) => v.value).join('');
  return escapeHtml(String(value));
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;background:#f4f6f9;color:#1c2430;line-height:1.5}
main{max-width:40rem;margin:3rem auto;background:#fff;padding:2rem 2.25rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:1.5rem;margin-top:0}
.reason{color:#5a6472;font-size:.875rem}
a.button,button{display:inline-block;background:#0d4cd3;color:#fff;border:0;border-radius:6px;padding:.65rem 1.25rem;font-size:1rem;text-decoration:none;cursor:pointer}
a.secondary{background:#e8edf5;color:#0d4cd3}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;border:1px solid #b8c1cc;border-radius:6px}
.error{background:#fdecec;border-left:4px solid #d32f2f;padding:.75rem 1rem}
ul.choices{list-style:none;padding:0}ul.choices li{margin:.5rem 0}
fieldset{border:0;padding:0;margin:0}legend{font-weight:600;margin-bottom:.5rem}
.choice{display:flex;gap:.75rem;align-items:flex-start;border:1px solid #d5dbe3;border-radius:6px;padding:.75rem 1rem}
.choice input{width:auto;margin:.3rem 0 0}.choice label{margin:0;font-weight:normal}.choice strong{display:block}
.hint{color:#5a6472;font-size:.9375rem}
button.link{background:none;color:#0d4cd3;padding:0;text-decoration:underline}
main.wide{max-width:75rem;margin:1.5rem auto}
table{border-collapse:collapse;width:100%;font-size:.875rem}th,td{border-bottom:1px solid #d5dbe3;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f7}caption{text-align:left;color:#5a6472;padding:.5rem 0}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-bottom:1rem}form.filters label{margin:0 0 .25rem}
form.filters input,form.filters select{width:auto;padding:.4rem;font-size:.9375rem;border:1px solid #b8c1cc;border-radius:6px}
form.filters select{max-width:100%}
.table-card{overflow-x:auto;max-width:100%}td{overflow-wrap:anywhere}
figure.chart{margin:1rem 0 1.5rem;max-width:44rem}figure.chart svg{display:block;height:auto}figcaption{color:#5a6472;font-size:.875rem}
ul.legend{list-style:none;padding:0;margin:.5rem 0 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.875rem}
@media (max-width:48rem){
main.wide{margin:0;padding:1rem;border-radius:0;box-shadow:none}
table.report thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
table.report,table.report tbody,table.report tr,table.report td{display:block}
table.report tr{border:1px solid #d5dbe3;border-radius:6px;margin:0 0 .5rem;padding:.25rem .5rem}
table.report td{display:grid;grid-template-columns:minmax(6rem,40%) 1fr;gap:.5rem;border:0;padding:.15rem 0}
table.report td::before{content:attr(data-label);font-weight:600;color:#5a6472}
}
`;

/** `wide`: tables (the admin page) get the width of the window instead of a reading column. */
export function page(title: string, body: SafeHtml, options: { wide?: boolean } = {}): string {
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main${options.wide ? ' class="wide"' : ''}>${body.value}</main></body></html>`;
}
