import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import type { ConnectionType } from '../connection-types.js';

/**
 * One class per connection type: what its `config` object may hold. Unknown fields are
 * rejected. `secrets` lists the fields never returned by the API; `urls` the fields that
 * name a server we will call (checked against the network policy).
 */

const HTTP_URL = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;
const HTTP_URL_MESSAGE = '$property must be an https URL';
const TENANT_ID = /^[A-Za-z0-9.-]{1,253}$/;
const PRIVATE_KEY_PEM = /-----BEGIN PRIVATE KEY-----/;
const CUSTOMER_ID = /^[A-Za-z0-9_]{1,64}$/;
const LDAP_URL = /^ldaps?:\/\/[^\s/?#]+\/?$/;
const LDAP_FILTER = /^\([\s\S]*\)$/;
const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const IDENTITY_STORE_ID = /^d-[0-9a-f]{10}$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/**
 * A provider's own expression selecting the groups to sync (all groups when absent): sent to
 * the provider as given, which answers a malformed one with an error the sync reports.
 */
function GroupFilter(description: string) {
  return applyDecorators(
    ApiPropertyOptional({
      maxLength: 1024,
      minLength: 1,
      description: `${description}; all groups when absent`,
    }),
    IsOptional(),
    IsString(),
    IsNotEmpty(),
    MaxLength(1024),
  );
}

/**
 * A prefix of the names of the groups to sync (ignoring case), for the directories without a
 * dependable name search: the listing is filtered as it streams.
 */
function GroupNamePrefix() {
  return applyDecorators(
    ApiPropertyOptional({
      maxLength: 256,
      minLength: 1,
      description: 'Only the groups whose name starts with this (ignoring case); all when absent',
    }),
    IsOptional(),
    IsString(),
    IsNotEmpty(),
    MaxLength(256),
  );
}

/** What every pull connection may say about groups (SCIM connections are pushed groups). */
export class GroupSyncConfig {
  @ApiPropertyOptional({
    type: Boolean,
    default: true,
    description: 'Read groups and their members in the same sync as users; false: users only',
  })
  @IsOptional()
  @IsBoolean()
  syncGroups?: boolean;
}

/** For directories whose groups can hold groups (Entra ID, Google Workspace). */
export class NestedGroupSyncConfig extends GroupSyncConfig {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      "true: a group's members include the users of the groups nested in it, at any depth " +
      '(Graph `transitiveMembers`); false: its direct user members only',
  })
  @IsOptional()
  @IsBoolean()
  flattenNestedGroups?: boolean;
}

export class OktaConfig extends GroupSyncConfig {
  @ApiProperty({ pattern: HTTP_URL.source })
  @Matches(HTTP_URL, { message: '$property must be an https URL such as https://acme.okta.com' })
  orgUrl!: string;

  @ApiProperty({ maxLength: 4096, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  apiToken!: string;

  @GroupFilter(
    'An Okta `search` expression selecting the groups to sync, e.g. ' +
      '`type eq "OKTA_GROUP" and profile.name sw "eng-"`',
  )
  groupFilter?: string;
}

export class EntraIdConfig extends NestedGroupSyncConfig {
  @ApiProperty({ pattern: TENANT_ID.source })
  @IsString()
  @Matches(TENANT_ID, { message: '$property must be a tenant GUID or domain' })
  tenantId!: string;

  @ApiProperty({ maxLength: 200, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  clientId!: string;

  @ApiProperty({ maxLength: 4096, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  clientSecret!: string;

  @ApiPropertyOptional({ pattern: HTTP_URL.source })
  @IsOptional()
  @Matches(HTTP_URL, { message: HTTP_URL_MESSAGE })
  authorityHost?: string;

  @ApiPropertyOptional({ pattern: HTTP_URL.source })
  @IsOptional()
  @Matches(HTTP_URL, { message: HTTP_URL_MESSAGE })
  graphBaseUrl?: string;

  @GroupFilter(
    "A Microsoft Graph `$filter` selecting the groups to sync, e.g. `startswith(displayName,'eng-')`",
  )
  groupFilter?: string;
}

export class GoogleWorkspaceConfig extends NestedGroupSyncConfig {
  @ApiProperty({ format: 'email' })
  @IsEmail({}, { message: '$property must be an email address' })
  serviceAccountEmail!: string;

  @ApiProperty({ pattern: PRIVATE_KEY_PEM.source, maxLength: 16384 })
  @IsString()
  @Matches(PRIVATE_KEY_PEM, {
    message: '$property must be the PEM private key from the service account JSON key',
  })
  @MaxLength(16384)
  privateKey!: string;

  @ApiProperty({ format: 'email' })
  @IsEmail({}, { message: '$property must be an email address' })
  delegatedAdminEmail!: string;

  @ApiPropertyOptional({ pattern: CUSTOMER_ID.source })
  @IsOptional()
  @IsString()
  @Matches(CUSTOMER_ID, { message: '$property must be a customer id such as C01abc23' })
  customerId?: string;

  @ApiPropertyOptional({ pattern: HTTP_URL.source })
  @IsOptional()
  @Matches(HTTP_URL, { message: HTTP_URL_MESSAGE })
  tokenUrl?: string;

  @ApiPropertyOptional({ pattern: HTTP_URL.source })
  @IsOptional()
  @Matches(HTTP_URL, { message: HTTP_URL_MESSAGE })
  baseUrl?: string;

  @GroupNamePrefix()
  groupNamePrefix?: string;
}

const LDAP_ATTRIBUTE = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const LDAP_ATTRIBUTE_MESSAGE = '$property must be an LDAP attribute name';

/** An optional LDAP attribute name. */
function LdapAttribute() {
  return applyDecorators(
    ApiPropertyOptional({ pattern: LDAP_ATTRIBUTE.source }),
    IsOptional(),
    Matches(LDAP_ATTRIBUTE, { message: LDAP_ATTRIBUTE_MESSAGE }),
  );
}

/** Which LDAP attribute holds each field; defaults suit both OpenLDAP and Active Directory. */
export class LdapAttributes {
  @LdapAttribute() email?: string;
  @LdapAttribute() firstName?: string;
  @LdapAttribute() lastName?: string;
  @LdapAttribute() department?: string;
  @LdapAttribute() title?: string;
  @LdapAttribute() externalId?: string;
}

/**
 * Which LDAP attribute holds each field of a group: `cn`, `description`, `entryUUID`
 * (OpenLDAP) or `objectGUID` (AD), and both `member` and `uniqueMember` unless one is named.
 */
export class LdapGroupAttributes {
  @LdapAttribute() name?: string;
  @LdapAttribute() description?: string;
  @LdapAttribute() externalId?: string;
  @LdapAttribute() member?: string;
}

export class LdapConfig extends GroupSyncConfig {
  @ApiProperty({ pattern: LDAP_URL.source })
  @Matches(LDAP_URL, {
    message: '$property must be an ldap:// or ldaps:// URL such as ldaps://ldap.acme.com:636',
  })
  url!: string;

  @ApiProperty({ maxLength: 1024, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  bindDN!: string;

  @ApiProperty({ maxLength: 4096, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  bindPassword!: string;

  @ApiProperty({ maxLength: 1024, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  baseDN!: string;

  @ApiPropertyOptional({ pattern: LDAP_FILTER.source, maxLength: 4096 })
  @IsOptional()
  @Matches(LDAP_FILTER, { message: '$property must be an LDAP filter in parentheses' })
  @MaxLength(4096)
  userFilter?: string;

  @ApiPropertyOptional({ pattern: CERTIFICATE_PEM.source, maxLength: 65536 })
  @IsOptional()
  @IsString()
  @Matches(CERTIFICATE_PEM, { message: '$property must be a PEM certificate' })
  @MaxLength(65536)
  caCertificate?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LdapAttributes)
  attributes?: LdapAttributes;

  @ApiPropertyOptional({
    maxLength: 1024,
    minLength: 1,
    description: 'Where groups are searched (subtree); baseDN when absent',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  groupBaseDN?: string;

  @ApiPropertyOptional({
    pattern: LDAP_FILTER.source,
    maxLength: 4096,
    description:
      'Selects the groups to sync; default ' +
      '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))',
  })
  @IsOptional()
  @Matches(LDAP_FILTER, { message: '$property must be an LDAP filter in parentheses' })
  @MaxLength(4096)
  groupFilter?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LdapGroupAttributes)
  groupAttributes?: LdapGroupAttributes;
}

export class AwsIdentityCenterConfig extends GroupSyncConfig {
  @ApiProperty({ pattern: AWS_REGION.source })
  @Matches(AWS_REGION, {
    message: '$property must be an AWS region such as eu-west-1',
  })
  region!: string;

  @ApiProperty({ pattern: IDENTITY_STORE_ID.source })
  @Matches(IDENTITY_STORE_ID, { message: '$property must look like d-1234567890' })
  identityStoreId!: string;

  @ApiProperty({ pattern: ACCESS_KEY_ID.source })
  @Matches(ACCESS_KEY_ID, { message: '$property must be an AWS access key id' })
  accessKeyId!: string;

  @ApiProperty({ maxLength: 256, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  secretAccessKey!: string;

  @ApiPropertyOptional({ pattern: HTTP_URL.source })
  @IsOptional()
  @Matches(HTTP_URL, { message: HTTP_URL_MESSAGE })
  endpoint?: string;

  @GroupNamePrefix()
  groupNamePrefix?: string;
}

/** SCIM connections are pushed to: they hold no provider config, only a bearer token. */
export class ScimConfig {}

export interface ProviderConfigSpec {
  dto: new () => object;
  secrets: readonly string[];
  urls: readonly string[];
}

export const PROVIDER_CONFIGS: Record<ConnectionType, ProviderConfigSpec> = {
  okta: { dto: OktaConfig, secrets: ['apiToken'], urls: ['orgUrl'] },
  'entra-id': {
    dto: EntraIdConfig,
    secrets: ['clientSecret'],
    urls: ['authorityHost', 'graphBaseUrl'],
  },
  'google-workspace': {
    dto: GoogleWorkspaceConfig,
    secrets: ['privateKey'],
    urls: ['tokenUrl', 'baseUrl'],
  },
  ldap: { dto: LdapConfig, secrets: ['bindPassword'], urls: ['url'] },
  'aws-identity-center': {
    dto: AwsIdentityCenterConfig,
    secrets: ['secretAccessKey'],
    urls: ['endpoint'],
  },
  scim: { dto: ScimConfig, secrets: [], urls: [] },
};
