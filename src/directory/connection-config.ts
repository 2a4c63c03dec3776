import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  flattenValidationErrors,
  ValidationFailedException,
  type FieldError,
} from '../common/validation.js';
import type { ConnectionType } from './connection-types.js';
import { PROVIDER_CONFIGS } from './dto/provider-configs.js';
import { providerUrlProblem } from './network-policy.js';

export type ProviderConfig = Record<string, unknown>;

/** `syncGroups` defaults to true: a pull connection reads groups unless told not to. */
export function syncsGroups(config: ProviderConfig): boolean {
  return config.syncGroups !== false;
}

/** What a secret looks like in every response; sent back unchanged, it means "keep it". */
export const MASK = '********';

/** Validates a connection's `config` for its type; throws a 400 naming each bad field. */
export function validateConnectionConfig(
  type: ConnectionType,
  raw: unknown,
  allowPrivateNetworks: boolean,
): ProviderConfig {
  const spec = PROVIDER_CONFIGS[type];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationFailedException([{ field: 'config', message: 'config must be an object' }]);
  }
  const instance = plainToInstance(spec.dto, raw);
  const problems: FieldError[] = flattenValidationErrors(
    // forbidUnknownValues off: raw is a plain object (checked above), and ScimConfig has no
    // decorated fields, which class-validator would otherwise reject as an "unknown value".
    validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: false,
    }),
    'config',
  );
  const config = raw as ProviderConfig;
  for (const field of spec.secrets) {
    // Only reachable on create (PATCH keeps the stored secret for the mask): a UI that
    // echoes a masked value into a new connection must not store the mask as the secret.
    if (config[field] === MASK) {
      problems.push({
        field: `config.${field}`,
        message: `config.${field} must be the secret itself, not ${MASK}`,
      });
    }
  }
  for (const field of spec.urls) {
    const value = config[field];
    if (typeof value !== 'string' || problems.some((p) => p.field === `config.${field}`)) continue;
    const problem = providerUrlProblem(value, allowPrivateNetworks);
    if (problem) problems.push({ field: `config.${field}`, message: `config.${field} ${problem}` });
  }
  if (problems.length) throw new ValidationFailedException(problems);
  return { ...config };
}

/** The config as the API shows it: every secret replaced by the mask. */
export function maskSecrets(type: ConnectionType, config: ProviderConfig): ProviderConfig {
  const masked = { ...config };
  for (const field of PROVIDER_CONFIGS[type].secrets) {
    if (masked[field] !== undefined) masked[field] = MASK;
  }
  return masked;
}

/**
 * A PATCH's config on top of the stored one: fields sent replace, `null` removes an
 * optional field, and a secret not sent (or sent back as the mask) is kept.
 */
export function mergeConfigPatch(
  type: ConnectionType,
  stored: ProviderConfig,
  patch: ProviderConfig,
): ProviderConfig {
  const merged: ProviderConfig = { ...stored };
  for (const [field, value] of Object.entries(patch)) {
    const keepSecret = PROVIDER_CONFIGS[type].secrets.includes(field) && value === MASK;
    if (keepSecret) continue;
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  return merged;
}
