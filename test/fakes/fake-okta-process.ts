import { FakeOkta, oktaUser } from './fake-okta.js';

/**
 * A fake Okta org of N generated users in a process of its own, so a benchmark measures
 * the service's memory and CPU, not the fake's. Prints its URL on stdout.
 */
const count = Number(process.argv[2] ?? 100_000);
const okta = new FakeOkta({ token: 'bench-token', users: { count, user: (i) => oktaUser(i) } });
const url = await okta.start();
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void okta.stop().then(() => process.exit(0)));
