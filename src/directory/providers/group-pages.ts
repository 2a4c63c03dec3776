import { ProviderError, type DirectoryGroup } from './directory-provider.js';

/** Each page of `pages` mapped item by item, as it streams. */
export async function* mapPages<T, U>(
  pages: AsyncIterable<T[]>,
  map: (item: T) => U,
): AsyncIterable<U[]> {
  for await (const page of pages) yield page.map(map);
}

/**
 * The groups whose name starts with `prefix` (ignoring case), for the directories whose own
 * name search cannot be trusted for a complete listing (Google's search index lags behind by
 * up to a day and a half) or does not exist for names (AWS). Pages left empty are skipped.
 */
export async function* withNamePrefix(
  pages: AsyncIterable<DirectoryGroup[]>,
  prefix: string | undefined,
): AsyncIterable<DirectoryGroup[]> {
  const wanted = prefix?.toLowerCase() ?? '';
  for await (const page of pages) {
    const selected = page.filter((group) => group.name.toLowerCase().startsWith(wanted));
    if (selected.length) yield selected;
  }
}

/**
 * A group's member pages, where a 404 means the group was deleted after the listing of groups
 * named it: a transient failure (the next run will not list it), not a configuration error
 * that would stop the connection's syncs.
 */
export async function* membersOfListedGroup<T>(
  pages: AsyncIterable<T[]>,
  provider: string,
  group: DirectoryGroup,
): AsyncIterable<T[]> {
  try {
    yield* pages;
  } catch (error) {
    if (!(error instanceof ProviderError) || error.status !== 404) throw error;
    throw groupGone(provider, group);
  }
}

/** A group listed earlier in the run that the directory no longer has. */
export function groupGone(provider: string, group: DirectoryGroup): ProviderError {
  return new ProviderError(
    'transient',
    `${provider} no longer has the group "${group.name}" (${group.externalId}): it was ` +
      'deleted during the sync',
  );
}

/**
 * A group from a directory's answer, whatever its field names: values that are not text are
 * taken as absent, and an empty description as none.
 */
export function directoryGroup(id: unknown, name: unknown, description: unknown): DirectoryGroup {
  const group: DirectoryGroup = {
    externalId: idText(id),
    name: typeof name === 'string' ? name : '',
  };
  if (typeof description === 'string' && description) group.description = description;
  return group;
}

/** An id from a directory's JSON; '' when it is missing (the engine skips such an entry). */
export function idText(id: unknown): string {
  return typeof id === 'string' ? id : '';
}
