import type { Request } from 'express';
import type { ApiKeyRole } from './api-key.entity.js';

/** Who is calling: set by the ApiKeyGuard from the API key, never from the request. */
export interface AuthContext {
  companyId: string;
  apiKeyId: string;
  role: ApiKeyRole;
}

export interface AuthenticatedRequest extends Request {
  auth?: AuthContext;
}
