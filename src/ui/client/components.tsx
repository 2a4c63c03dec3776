import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from './api.js';
import { exactTime, fromNow } from './format.js';
import { asApiError, type Paged } from './use-api.js';

/** A status word with a colour that never carries the meaning alone (the word is there). */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status" aria-busy="true">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error }: { error: ApiError | string }) {
  const message = typeof error === 'string' ? error : error.message;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A time as "3 minutes ago", the exact time on hover and for screen readers' users. */
export function Time({ iso, empty = '—' }: { iso: string | null; empty?: string }) {
  if (!iso) return <span class="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {fromNow(iso)}
    </time>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children ? <div class="actions">{children}</div> : null}
    </div>
  );
}

export interface Action {
  busy: boolean;
  error: ApiError | undefined;
  run: () => void;
}

/** A button's API call: busy while it runs (the button is disabled), its error kept to show. */
export function useAction(work: () => Promise<unknown>): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = () => {
    setBusy(true);
    setError(undefined);
    work().then(
      () => setBusy(false),
      (failure: unknown) => {
        setError(asApiError(failure));
        setBusy(false);
      },
    );
  };
  return { busy, error, run };
}

export function ActionButton({
  action,
  label,
  busyLabel,
  kind = 'secondary',
}: {
  action: Action;
  label: string;
  busyLabel: string;
  kind?: 'primary' | 'secondary' | 'danger';
}) {
  return (
    <button type="button" class={`button ${kind}`} disabled={action.busy} onClick={action.run}>
      {action.busy ? busyLabel : label}
    </button>
  );
}

/** "Show more" under a paged list while the API has more, with the last attempt's error. */
export function ShowMore({ list }: { list: Paged<unknown> }) {
  return (
    <>
      {list.moreError ? <ErrorMessage error={list.moreError} /> : null}
      {list.hasMore ? (
        <div class="pager">
          <button type="button" class="button secondary" onClick={list.showMore}>
            Show more
          </button>
        </div>
      ) : null}
    </>
  );
}

/**
 * A keyset-paged list shown one page at a time: the cursors walked from the newest page, so
 * "Newer" goes back the way it came. The page on screen is one API page, which a poll or a
 * reload refreshes as a whole.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors[cursors.length - 1] as string | undefined,
    newer: cursors.length > 0 ? () => setCursors(cursors.slice(0, -1)) : undefined,
    older: (nextCursor: string) => setCursors([...cursors, nextCursor]),
  };
}

/** "Newer …" and "Older …" under a list of `useCursorPages`, where there is such a page. */
export function OlderNewer({
  pages,
  nextCursor,
  noun,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
  noun: string;
}) {
  return (
    <div class="pager">
      {pages.newer ? (
        <button type="button" class="button secondary" onClick={pages.newer}>
          Newer {noun}
        </button>
      ) : null}
      {nextCursor ? (
        <button type="button" class="button secondary" onClick={() => pages.older(nextCursor)}>
          Older {noun}
        </button>
      ) : null}
    </div>
  );
}

/**
 * A filter's connection choice ("All" or one of `connections`). Each option says whether it
 * is the chosen one: the connections arrive after the value, and a select's own `value` set
 * before its options exist would stay on "All".
 */
export function ConnectionSelect({
  connections,
  value,
  onChange,
}: {
  connections: { id: string; name: string }[] | undefined;
  value: string;
  onChange: (connectionId: string) => void;
}) {
  return (
    <div class="field">
      <label for="connectionId">Connection</label>
      <select id="connectionId" onChange={(event) => onChange(event.currentTarget.value)}>
        <option value="" selected={value === ''}>
          All
        </option>
        {connections?.map((c) => (
          <option key={c.id} value={c.id} selected={c.id === value}>
            {c.name}
          </option>
        ))}
      </select>
    </div>
  );
}
