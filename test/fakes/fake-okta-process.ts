import { FakeOkta, oktaGroup, oktaUser } from './fake-okta.js';

/**
 * A fake Okta org of N generated users (and G groups of M members each) in a process of its
 * own, so a benchmark measures the service's memory and CPU, not the fake's. Prints its URL
 * on stdout. Usage: `fake-okta-process.js [users=100000] [groups=0] [membersPerGroup=0]`;
 * group g holds the users g·M … g·M+M−1 (wrapping around the directory). Each line `rename`
 * on stdin changes every user's last name (a directory where everyone changed), answered by a
 * line `renamed` on stdout.
 */
const count = Number(process.argv[2] ?? 100_000);
const groupCount = Number(process.argv[3] ?? 0);
const membersPerGroup = Number(process.argv[4] ?? 0);
const members = (g: number) =>
  Array.from({ length: membersPerGroup }, (_, k) => oktaUser((g * membersPerGroup + k) % count).id);
let renames = 0;
const okta = new FakeOkta({
  token: 'bench-token',
  users: {
    count,
    user: (i) => oktaUser(i, renames ? { profile: { lastName: `Last${i}-${renames}` } } : {}),
  },
  groups: { count: groupCount, group: (g) => oktaGroup(g, members(g)) },
});
const url = await okta.start();
process.stdout.write(`${url}\n`);
process.stdin.on('data', (lines: Buffer) => {
  for (const line of lines.toString().split('\n')) {
    if (line.trim() !== 'rename') continue;
    renames++;
    process.stdout.write('renamed\n');
  }
});
process.on('SIGTERM', () => void okta.stop().then(() => process.exit(0)));
