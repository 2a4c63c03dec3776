import { runService } from './bootstrap.js';

/** `npm start`: the HTTP API, and a worker too unless ROLE=api (ROLE=worker: no HTTP). */
await runService();
