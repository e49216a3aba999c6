// REST calls to the gateway. The key travels only in the Authorization header: never in a URL, never logged.

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export class Api {
  constructor(private readonly key: () => string) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const key = this.key();
    if (key) {
      headers.Authorization = `Bearer ${key}`;
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The gateway cannot be reached.');
    }
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const problem = (payload ?? {}) as { code?: string; detail?: string; title?: string;
        violations?: { field: string; message: string }[] };
      if (response.status === 401) {
        throw new ApiError(401, 'UNAUTHENTICATED', 'Authentication failed: the API key is not valid (401 UNAUTHENTICATED).');
      }
      const code = problem.code ?? String(response.status);
      const details = (problem.violations ?? []).map((v) => `\n• ${v.field}: ${v.message}`).join('');
      throw new ApiError(response.status, code,
        `${code}: ${problem.detail ?? problem.title ?? response.statusText}${details}`);
    }
    return payload as T;
  }
}

/** Unauthenticated page configuration (GET /api/v1/ui-config); defaults when the gateway is older. */
export async function loadUiConfig(): Promise<{ trace_url_template: string }> {
  try {
    const response = await fetch('/api/v1/ui-config', { headers: { Accept: 'application/json' } });
    if (response.ok) {
      const config = (await response.json()) as { trace_url_template?: unknown };
      return { trace_url_template: typeof config.trace_url_template === 'string' ? config.trace_url_template : '' };
    }
  } catch {
    // fall through to the defaults
  }
  return { trace_url_template: '' };
}
