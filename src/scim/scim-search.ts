import type { ScimConnection } from './scim-auth.guard.js';
import { ScimException } from './scim-error.js';
import type { ScimGroupsService } from './scim-groups.service.js';
import type { ListQuery } from './scim-paging.js';
import type { ScimUsersService } from './scim-users.service.js';

type Page = Awaited<ReturnType<ScimUsersService['list']>>;
type Resource =
  Page['resources'][number] | Awaited<ReturnType<ScimGroupsService['list']>>['resources'][number];

/**
 * A search at the service root (RFC 7644 §3.4.3): Users, then Groups, paged as one list.
 * A filter on an attribute only one of them has (`userName`, `members`) matches none of the
 * other; a filter neither can answer is refused as for one of them.
 */
export async function searchAll(
  users: ScimUsersService,
  groups: ScimGroupsService,
  conn: ScimConnection,
  query: ListQuery,
  base: string,
): Promise<{ total: number; resources: Resource[] }> {
  const first = await orNothing(() => users.list(conn, query, base));
  const rest = {
    ...query,
    startIndex: Math.max(1, query.startIndex - first.total),
    count: query.count - first.resources.length,
  };
  const second = await orNothing(() => groups.list(conn, rest, base));
  if (first.refused && second.refused) throw first.refused;
  return {
    total: first.total + second.total,
    resources: [...first.resources, ...second.resources],
  };
}

async function orNothing<T extends { total: number; resources: Resource[] }>(
  list: () => Promise<T>,
): Promise<{ total: number; resources: Resource[]; refused?: ScimException }> {
  try {
    return await list();
  } catch (error) {
    if (error instanceof ScimException && error.scimType === 'invalidFilter') {
      return { total: 0, resources: [], refused: error };
    }
    throw error;
  }
}
