/** Calls to the admin API as an operator's script would make them. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface AdminResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export function adminClient(baseUrl: string) {
  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { json?: unknown; text?: string; contentType?: string; token?: string | null } = {},
  ): Promise<AdminResponse<T>> {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    if (token) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.text !== undefined) {
      headers['content-type'] = options.contentType ?? 'text/csv; charset=utf-8';
      body = options.text;
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (CSV, HTML): the caller reads `text`.
    }
    return { status: response.status, headers: response.headers, text, body: parsed as T };
  }
  return { call };
}

/** A CSV file from a header and rows, `;`-separated unless told otherwise; fields with the delimiter or quotes get quoted. */
export function csvFile(header: string[], rows: Array<Array<string | number>>, delimiter = ';', newline = '\r\n'): string {
  const field = (v: string | number) => {
    const s = String(v);
    return s.includes(delimiter) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(field).join(delimiter)).join(newline) + newline;
}

/** A browser-like session over fetch for the /admin page: keeps cookies (and drops expired ones), follows no redirect. */
export function cookieJar(base: string) {
  const jar = new Map<string, string>();
  const setCookies: string[] = [];
  async function request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}${path}`, {
      method,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      setCookies.push(line);
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name!);
      else jar.set(name!, value.join('='));
    }
    return { status: response.status, location: response.headers.get('location'), headers: response.headers, text: await response.text() };
  }
  const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  /** Signs in on the /admin page's token form (its xsrf field included); the login's status. */
  async function signIn(token: string): Promise<number> {
    const form = await request('GET', '/admin');
    return (await request('POST', '/admin/login', { xsrf: field(form.text, 'xsrf'), token })).status;
  }
  return { request, field, signIn, jar, setCookies };
}
