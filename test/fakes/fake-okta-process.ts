import { createInterface } from 'node:readline';
import { FakeOkta, oktaGroup, oktaUser } from './fake-okta.js';

/**
 * A fake Okta org of N generated users (and G groups of M members each) in a process of its
 * own, so a benchmark measures the service's memory and CPU, not the fake's. Prints its URL
 * on stdout. Usage: `fake-okta-process.js [users=100000] [groups=0] [membersPerGroup=0]`;
 * group g holds the users g·M … g·M+M−1 (wrapping around the directory). Lines on stdin
 * change the directory, each answered by a line on stdout once done:
 * - `rename`: every user's last name changes (a directory where everyone changed): `renamed`;
 * - `change K`: K users spread through the directory get a new title (what an incremental
 *   cycle reads): `changed`.
 * Changed users carry `lastUpdated` = the time of their change, as Okta's do.
 */
const count = Number(process.argv[2] ?? 100_000);
const groupCount = Number(process.argv[3] ?? 0);
const membersPerGroup = Number(process.argv[4] ?? 0);
const members = (g: number) =>
  Array.from({ length: membersPerGroup }, (_, k) => oktaUser((g * membersPerGroup + k) % count).id);

let renames = 0;
let renamedAt: string | undefined;
const changed = new Map<number, { lastUpdated: string; title: string }>();
let rounds = 0;

function user(i: number) {
  const change = changed.get(i);
  const lastUpdated = change?.lastUpdated ?? renamedAt;
  return oktaUser(i, {
    ...(lastUpdated ? { lastUpdated } : {}),
    profile: {
      ...(renames ? { lastName: `Last${i}-${renames}` } : {}),
      ...(change ? { title: change.title } : {}),
    },
  });
}

const okta = new FakeOkta({
  token: 'bench-token',
  users: { count, user },
  groups: { count: groupCount, group: (g) => oktaGroup(g, members(g)) },
});
const url = await okta.start();
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void okta.stop().then(() => process.exit(0)));

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'rename') {
    renames++;
    renamedAt = new Date().toISOString();
    changed.clear();
    process.stdout.write('renamed\n');
    continue;
  }
  const k = Number(/^change (\d+)$/.exec(line.trim())?.[1]);
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
  process.stdout.write('changed\n');
}
