import { createInterface } from 'node:readline';
import { FakeOkta, oktaGroup, oktaUser } from './fake-okta.js';

/**
 * A fake Okta org of N generated users (and G groups of M members each) in a process of its
 * own, so a benchmark measures the service's memory and CPU, not the fake's. Prints its URL
 * on stdout. Usage: `fake-okta-process.js [users=100000] [groups=0] [membersPerGroup=0]`;
 * group g holds the users g·M … g·M+M−1 (wrapping around the directory).
 * A line `change K` on stdin changes K users spread through the directory (a new title,
 * `lastUpdated` now) and answers `changed` on stdout: what an incremental cycle reads.
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

const changed = new Map<number, { lastUpdated: string; title: string }>();
let rounds = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const k = Number(/^change (\d+)$/.exec(line)?.[1]);
  if (!k) continue;
  rounds++;
  const lastUpdated = new Date().toISOString();
  // Each round changes a different spread of users: offset by the round.
  for (let j = 0; j < k; j++) {
    changed.set((Math.floor((j * count) / k) + rounds) % count, {
      lastUpdated,
      title: `Title of round ${rounds}`,
    });
  }
  okta.setUsers({
    count,
    user: (i) => {
      const change = changed.get(i);
      return change
        ? oktaUser(i, { lastUpdated: change.lastUpdated, profile: { title: change.title } })
        : oktaUser(i);
    },
  });
  process.stdout.write('changed\n');
}
