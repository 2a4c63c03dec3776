import type { ApiKeyRole } from './api-key.entity.js';

/** An API key as the API lists it (never its secret). */
export interface ApiKeyView {
  id: string;
  name: string;
  role: ApiKeyRole;
  prefix: string;
  lastUsedAt: Date | null;
  createdAt: Date;
}
