import type { ProviderConfig } from '../connection-config.js';
import type { DirectoryUser } from './directory-provider.js';
import { idText } from './group-pages.js';

/**
 * What the Entra ID provider's full reads and its change feed share: the properties read, the
 * collections' names and permissions, and how a Graph user becomes a DirectoryUser (the same
 * mapping for a full page and a delta page, so both cycles write the same person).
 */

export const USER_SELECT =
  'id,mail,userPrincipalName,givenName,surname,department,jobTitle,accountEnabled';
export const GROUP_SELECT = 'id,displayName,description';
export const GRAPH_PROVIDER = 'Microsoft Graph';
/** Graph's largest page for /users, /groups and a group's members. */
export const PAGE_SIZE = 999;
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';

/** The connection's Graph base URL (`graphBaseUrl`, for national clouds and tests). */
export function graphBase(config: ProviderConfig): string {
  const url = typeof config.graphBaseUrl === 'string' ? config.graphBaseUrl : undefined;
  return trimSlash(url ?? DEFAULT_GRAPH_BASE_URL);
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export interface GraphUser {
  id?: unknown;
  mail?: unknown;
  userPrincipalName?: unknown;
  givenName?: unknown;
  surname?: unknown;
  department?: unknown;
  jobTitle?: unknown;
  accountEnabled?: unknown;
}

export interface GraphGroup {
  id?: unknown;
  displayName?: unknown;
  description?: unknown;
}

/** What a Graph list holds, for messages: its noun, and the permission that lets us read it. */
export interface Collection {
  noun: string;
  permission: string;
}
export const USERS: Collection = { noun: 'user', permission: 'User.Read.All' };
export const GROUPS: Collection = { noun: 'group', permission: 'GroupMember.Read.All' };

/** One page of a Graph list, and the `@odata.deltaLink` Graph puts on a delta query's last. */
export interface GraphPage {
  value: unknown[];
  deltaLink?: string;
}

const GUEST_UPN = /#EXT#@/i;
const ADDRESS = /^[^\s@]+@[^\s@]+$/;

export function toDirectoryUser(user: GraphUser): DirectoryUser {
  const upn = text(user.userPrincipalName);
  const upnAddress = upn && ADDRESS.test(upn) && !GUEST_UPN.test(upn) ? upn : undefined;
  return {
    externalId: idText(user.id),
    email: nonEmpty(user.mail) ?? upnAddress,
    firstName: text(user.givenName),
    lastName: text(user.surname),
    department: optionalText(user, 'department'),
    title: optionalText(user, 'jobTitle'),
    active: user.accountEnabled !== false,
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

/** Absent: not sent (keep what we have). Present but null: cleared in Entra ID. */
function optionalText(user: GraphUser, field: keyof GraphUser): string | undefined {
  if (!(field in user)) return undefined;
  return text(user[field]) ?? '';
}
