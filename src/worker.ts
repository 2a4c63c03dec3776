import { runService } from './bootstrap.js';

/** `npm run start:worker`: a worker process without HTTP, whatever ROLE says. */
await runService({ role: 'worker' });
