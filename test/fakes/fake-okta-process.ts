import { FakeOkta, oktaGroup, oktaUser } from './fake-okta.js';

/**
 * A fake Okta org of N generated users (and G groups of M members each) in a process of its
 * own, so a benchmark measures the service's memory and CPU, not the fake's. Prints its URL
 * on stdout. Usage: `fake-okta-process.js [users=100000] [groups=0] [membersPerGroup=0]`;
 * group g holds the users g·M … g·M+M−1 (wrapping around the directory).
 */
const count = Number(process.argv[2] ?? 100_000);
const groupCount = Number(process.argv[3] ?? 0);
const membersPerGroup = Number(process.argv[4] ?? 0);
const members = (g: number) =>
  Array.from({ length: membersPerGroup }, (_, k) => oktaUser((g * membersPerGroup + k) % count).id);
const okta = new FakeOkta({
  token: 'bench-token',
  users: { count, user: (i) => oktaUser(i) },
  groups: { count: groupCount, group: (g) => oktaGroup(g, members(g)) },
});
const url = await okta.start();
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void okta.stop().then(() => process.exit(0)));
