import type { ConnectionType } from '../../directory/connection-types.js';

/**
 * The config form of each connection type (the README's table). A test compares these
 * fields with the API's OpenAPI schemas and secret lists, so a new config field cannot be
 * forgotten here. Pure data: the server-side test imports it too.
 */
export interface ConfigField {
  /** The config key; `attributes.email` is `email` inside the `attributes` object. */
  key: string;
  label: string;
  required: boolean;
  /** Never shown: the API answers "********"; a PATCH without it keeps the stored one. */
  secret?: boolean;
  multiline?: boolean;
  /** A yes/no choice, sent as true/false; left empty, the API's default (`placeholder`). */
  boolean?: boolean;
  placeholder?: string;
  help?: string;
}

const optional = (key: string, label: string, extra: Partial<ConfigField> = {}): ConfigField => ({
  key,
  label,
  required: false,
  ...extra,
});
const required = (key: string, label: string, extra: Partial<ConfigField> = {}): ConfigField => ({
  key,
  label,
  required: true,
  ...extra,
});

const TEST_URL_HELP = "Only to point at a server other than the provider's public API.";
const SYNC_GROUPS = optional('syncGroups', 'Sync groups', {
  boolean: true,
  placeholder: 'yes',
  help: 'Read groups and their members in the same sync as the people.',
});
const FLATTEN_NESTED_GROUPS = optional('flattenNestedGroups', 'Count nested groups’ people', {
  boolean: true,
  placeholder: 'no',
  help: 'Yes: the people of groups inside a group are its members too.',
});
const GROUP_NAME_PREFIX = optional('groupNamePrefix', 'Group name prefix', {
  help: 'Only groups whose name starts with this (ignoring case).',
});

export const CONFIG_FIELDS: Record<ConnectionType, ConfigField[]> = {
  okta: [
    required('orgUrl', 'Okta org URL', { placeholder: 'https://acme.okta.com' }),
    required('apiToken', 'API token', {
      secret: true,
      help: 'A token of a read-only administrator.',
    }),
    SYNC_GROUPS,
    optional('groupFilter', 'Group filter', {
      placeholder: 'type eq "OKTA_GROUP"',
      help: 'An Okta search expression selecting the groups to sync.',
    }),
  ],
  'entra-id': [
    required('tenantId', 'Tenant ID', { placeholder: 'contoso.onmicrosoft.com or a GUID' }),
    required('clientId', 'Client (application) ID'),
    required('clientSecret', 'Client secret', { secret: true }),
    optional('authorityHost', 'Authority host', { help: TEST_URL_HELP }),
    optional('graphBaseUrl', 'Microsoft Graph URL', { help: TEST_URL_HELP }),
    SYNC_GROUPS,
    optional('groupFilter', 'Group filter', {
      placeholder: "startswith(displayName,'eng-')",
      help: 'A Microsoft Graph $filter selecting the groups to sync.',
    }),
    FLATTEN_NESTED_GROUPS,
  ],
  'google-workspace': [
    required('serviceAccountEmail', 'Service account email'),
    required('privateKey', 'Private key (PEM)', { secret: true, multiline: true }),
    required('delegatedAdminEmail', 'Delegated admin email'),
    optional('customerId', 'Customer ID', { placeholder: 'my_customer' }),
    optional('tokenUrl', 'Token URL', { help: TEST_URL_HELP }),
    optional('baseUrl', 'Admin SDK URL', { help: TEST_URL_HELP }),
    SYNC_GROUPS,
    GROUP_NAME_PREFIX,
    FLATTEN_NESTED_GROUPS,
  ],
  ldap: [
    required('url', 'Server URL', { placeholder: 'ldaps://ldap.acme.com:636' }),
    required('bindDN', 'Bind DN'),
    required('bindPassword', 'Bind password', { secret: true }),
    required('baseDN', 'Base DN', { placeholder: 'ou=people,dc=acme,dc=com' }),
    optional('userFilter', 'User filter', { placeholder: '(&(objectClass=person)(mail=*))' }),
    optional('caCertificate', 'CA certificate (PEM)', { multiline: true }),
    optional('attributes.email', 'Email attribute', { placeholder: 'mail' }),
    optional('attributes.firstName', 'First name attribute', { placeholder: 'givenName' }),
    optional('attributes.lastName', 'Last name attribute', { placeholder: 'sn' }),
    optional('attributes.department', 'Department attribute', { placeholder: 'department' }),
    optional('attributes.title', 'Title attribute', { placeholder: 'title' }),
    optional('attributes.externalId', 'External ID attribute', { placeholder: 'entryUUID' }),
    SYNC_GROUPS,
    optional('groupBaseDN', 'Group base DN', { placeholder: 'the base DN' }),
    optional('groupFilter', 'Group filter', {
      placeholder:
        '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))',
    }),
    optional('groupAttributes.name', 'Group name attribute', { placeholder: 'cn' }),
    optional('groupAttributes.description', 'Group description attribute', {
      placeholder: 'description',
    }),
    optional('groupAttributes.externalId', 'Group external ID attribute', {
      placeholder: 'entryUUID',
    }),
    optional('groupAttributes.member', 'Group member attribute', {
      placeholder: 'member and uniqueMember',
    }),
  ],
  'aws-identity-center': [
    required('region', 'Region', { placeholder: 'eu-west-1' }),
    required('identityStoreId', 'Identity store ID', { placeholder: 'd-1234567890' }),
    required('accessKeyId', 'Access key ID'),
    required('secretAccessKey', 'Secret access key', { secret: true }),
    optional('endpoint', 'Endpoint', { help: TEST_URL_HELP }),
    SYNC_GROUPS,
    GROUP_NAME_PREFIX,
  ],
  scim: [],
};

/**
 * A field's value in a config object (`attributes.email` reads inside `attributes`), as the
 * form holds it: text, or `true` / `false` for a yes/no field.
 */
export function readField(config: Record<string, unknown>, key: string): string | undefined {
  const [head, tail] = key.split('.', 2);
  const nested = config[head];
  const value =
    tail === undefined
      ? nested
      : typeof nested === 'object' && nested !== null
        ? (nested as Record<string, unknown>)[tail]
        : undefined;
  if (typeof value === 'boolean') return String(value);
  return typeof value === 'string' ? value : undefined;
}

/**
 * The `config` to send from a form's values. Empty values are left out on create; on edit an
 * emptied optional field is sent as null (removed), and an empty secret is left out (kept).
 */
export function buildConfig(
  fields: ConfigField[],
  values: Record<string, string>,
  mode: 'create' | 'edit',
): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const nested: Record<string, Record<string, string>> = {};
  for (const field of fields) {
    const value = (values[field.key] ?? '').trim();
    const [head, tail] = field.key.split('.', 2);
    if (tail !== undefined) {
      nested[head] ??= {};
      if (value) nested[head][tail] = value;
    } else if (value) {
      config[head] = field.boolean ? value === 'true' : value;
    } else if (mode === 'edit' && !field.secret && !field.required) {
      config[head] = null;
    }
  }
  for (const [head, object] of Object.entries(nested)) {
    if (Object.keys(object).length) config[head] = object;
    else if (mode === 'edit') config[head] = null;
  }
  return config;
}
