import { WebhookReceiver } from './webhook-receiver.js';

/**
 * A webhook receiver in a process of its own, for benchmarks: answers 200 at once, or after
 * 2 s on paths under /slow. Prints its origin on stdout.
 */
const receiver = new WebhookReceiver(false);
receiver.answer = ({ path }) => ({ status: 200, delayMs: path.startsWith('/slow') ? 2000 : 0 });
process.stdout.write(`${await receiver.start()}\n`);
process.on('SIGTERM', () => void receiver.stop().then(() => process.exit(0)));
