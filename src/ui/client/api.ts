/**
 * The documented HTTP API, with the signed-in API key as the bearer. Every answer that is not
 * 2xx becomes an ApiError carrying the API's own message (and per-field messages on a 400).
 */

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

const STORAGE_KEY = 'directory-sync.apiKey';
let unauthorized: (error: ApiError) => void = () => undefined;

/** The key lives in sessionStorage: gone when the tab closes, never sent anywhere but here. */
export const storedKey = (): string | null => sessionStorage.getItem(STORAGE_KEY);
export const storeKey = (key: string): void => sessionStorage.setItem(STORAGE_KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(STORAGE_KEY);

/** Called when the stored key stops working (revoked while signed in). */
export function onUnauthorized(handler: (error: ApiError) => void): void {
  unauthorized = handler;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Use this key instead of the stored one (signing in). */
  key?: string;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'The service did not answer. Is it running?');
  }
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => null)) as unknown;
  if (response.ok) return body as T;
  const error = toApiError(response.status, body);
  if (response.status === 401 && options.key === undefined) unauthorized(error);
  throw error;
}

function toApiError(status: number, body: unknown): ApiError {
  const { message, fields } = (body ?? {}) as { message?: unknown; fields?: FieldError[] };
  const text = typeof message === 'string' ? message : `The service answered ${status}.`;
  return new ApiError(status, text, Array.isArray(fields) ? fields : []);
}

/** `?a=1&b=2` from the values that are set (empty strings and undefined are left out). */
export function query(
  params: Record<string, string | number | boolean | undefined | null>,
): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
