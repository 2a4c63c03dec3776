import { expect } from '@jest/globals';
import {
  ProviderError,
  type DirectoryGroup,
  type GroupReader,
} from '../../src/directory/providers/directory-provider.js';
import {
  ProviderHttpClient,
  type ProviderHttpOptions,
} from '../../src/directory/providers/provider-http-client.js';

/** The HTTP client a provider gets in the app, tuned for local fakes: no real waiting. */
export function testHttpClient(overrides: Partial<ProviderHttpOptions> = {}): ProviderHttpClient {
  return new ProviderHttpClient({
    allowPrivateNetworks: true,
    timeoutMs: 5000,
    retryBaseMs: 1,
    maxRetries: 2,
    maxRateLimitWaitMs: 2000,
    ...overrides,
  });
}

/** The reader of a connection that syncs groups (fails the test when there is none). */
export function groupsOf(reader: GroupReader | undefined): GroupReader {
  expect(reader).toBeDefined();
  return reader!;
}

/** Every page of a stream, as read. */
export async function pagesOf<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const read: T[][] = [];
  for await (const page of pages) read.push(page);
  return read;
}

/** Every group and its members' externalIds, the way the engine reads them. */
export async function readAllGroups(
  reader: GroupReader,
): Promise<(DirectoryGroup & { members: string[] })[]> {
  const groups = (await pagesOf(reader.groups())).flat();
  const read = [];
  for (const group of groups)
    read.push({ ...group, members: (await pagesOf(reader.members(group))).flat() });
  return read;
}

/**
 * Reads a stream expected to fail part-way: the items it yielded before it threw, and the
 * ProviderError it threw.
 */
export async function failureOf<T>(
  pages: AsyncIterable<T[]>,
): Promise<{ before: T[]; error: ProviderError }> {
  const before: T[] = [];
  try {
    for await (const page of pages) before.push(...page);
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return { before, error: error as ProviderError };
  }
  throw new Error(`the stream ended without failing, after ${before.length} items`);
}
