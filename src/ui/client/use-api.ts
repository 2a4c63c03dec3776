import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import type { Page } from './types.js';

export interface Loaded<T> {
  /** The last answer for this path (kept while a reload is on its way, or failed). */
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

interface State<T> {
  path: string | null;
  data?: T;
  error?: ApiError;
}

/**
 * GET `path` (null: nothing to load yet), again when `path` changes. With `pollMs` it reloads
 * on that period while `keepPolling(data)` is true: a running job updates in place. An
 * answer that arrives after the path changed is dropped.
 */
export function useApi<T>(
  path: string | null,
  options: { pollMs?: number; keepPolling?: (data: T) => boolean } = {},
): Loaded<T> {
  const [state, setState] = useState<State<T>>({ path: null });
  const [loading, setLoading] = useState(path !== null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const current = useRef(path);
  current.current = path;

  useEffect(() => {
    if (path === null) return;
    setLoading(true);
    const settle = (next: (previous: State<T>) => State<T>) => {
      if (current.current !== path) return;
      setState(next);
      setLoading(false);
    };
    api<T>(path).then(
      (data) => settle(() => ({ path, data })),
      // A failed reload keeps what was shown, with the error beside it.
      (error: unknown) =>
        settle((previous) => ({
          path,
          data: previous.path === path ? previous.data : undefined,
          error: asApiError(error),
        })),
    );
  }, [path, version]);

  const mine = state.path === path;
  const data = mine ? state.data : undefined;
  const { pollMs, keepPolling } = options;
  const polling = pollMs !== undefined && data !== undefined && !!keepPolling?.(data);
  useEffect(() => {
    if (!polling) return;
    const timer = window.setTimeout(reload, pollMs);
    return () => window.clearTimeout(timer);
  }, [polling, pollMs, data, reload]);

  return { data, error: mine ? state.error : undefined, loading, reload };
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, String(error));
}

export interface Paged<T> {
  /** The pages loaded so far, in order; undefined until the first one came. */
  items: T[] | undefined;
  /** The first page's error (nothing to show), or a later page's (kept beside the rows). */
  error: ApiError | undefined;
  moreError: ApiError | undefined;
  /** Whether the API has a next page. */
  hasMore: boolean;
  showMore: () => void;
}

/**
 * A keyset-paged list (`{items, nextCursor}`) at `path` (its query without `cursor`): the
 * first page, then each "Show more" appends the next one along the cursor.
 */
export function usePaged<T>(path: string): Paged<T> {
  const first = useApi<Page<T>>(path);
  const [more, setMore] = useState<{ path: string; items: T[]; nextCursor: string | null }>();
  const [moreError, setMoreError] = useState<ApiError>();
  const mine = more?.path === path ? more : undefined;
  const nextCursor = mine ? mine.nextCursor : first.data?.nextCursor;

  const showMore = () => {
    if (!nextCursor) return;
    setMoreError(undefined);
    const separator = path.includes('?') ? '&' : '?';
    api<Page<T>>(`${path}${separator}cursor=${encodeURIComponent(nextCursor)}`).then(
      (page) =>
        setMore({
          path,
          items: [...(mine?.items ?? []), ...page.items],
          nextCursor: page.nextCursor,
        }),
      (error: unknown) => setMoreError(asApiError(error)),
    );
  };

  return {
    items: first.data ? [...first.data.items, ...(mine?.items ?? [])] : undefined,
    error: first.error,
    moreError,
    hasMore: !!nextCursor,
    showMore,
  };
}
