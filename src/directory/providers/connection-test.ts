import type { ProviderConfig } from '../connection-config.js';
import type { ConnectionTestResult, DirectoryProvider } from './directory-provider.js';

/**
 * The connection test of a pull provider: the first page of users, and the first page of
 * groups when the connection syncs groups, read with the connection's credentials. Only the
 * first pages: a test must answer within seconds whatever the directory's size.
 */
export async function testFirstPages(
  provider: DirectoryProvider,
  config: ProviderConfig,
  signal: AbortSignal,
): Promise<ConnectionTestResult> {
  const userCount = await firstPageSize(provider.pages(config, signal));
  const groups = provider.openGroups(config, signal);
  if (!groups) return { ok: true, userCount };
  return { ok: true, userCount, groupCount: await firstPageSize(groups.groups()) };
}

async function firstPageSize(pages: AsyncIterable<unknown[]>): Promise<number> {
  for await (const page of pages) return page.length;
  return 0;
}
