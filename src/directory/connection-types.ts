export const CONNECTION_TYPES = [
  'okta',
  'entra-id',
  'google-workspace',
  'ldap',
  'aws-identity-center',
  'scim',
] as const;

export type ConnectionType = (typeof CONNECTION_TYPES)[number];
