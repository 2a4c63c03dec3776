import type { GroupStats } from '../sync-jobs/sync-job.types.js';
import type {
  DirectoryGroup,
  GroupChanges,
  GroupReader,
} from '../directory/providers/directory-provider.js';
import type { GroupWriter, RosterGroup } from './group-writer.js';

/** Groups upserted per statement. */
const GROUP_BATCH = 500;
/** Member ids held in memory before they go to the run's temporary table. */
const MEMBER_BUFFER = 5000;

/**
 * A connection's groups after its users: groups in batches, then each group's member list in
 * full before its memberships change (a list that fails half-way throws, and that group keeps
 * what it had). Groups the directory no longer lists go only once the whole listing arrived.
 * Memory holds one batch of groups and a bounded buffer of member ids.
 *
 * With `changes` (an incremental cycle) only the groups the feed reports changed are written
 * and re-read, and only the ones it reports deleted go (their ids are held until the end).
 */
export async function syncGroups(
  reader: GroupReader,
  writer: GroupWriter,
  signal: AbortSignal,
  changes?: AsyncIterable<GroupChanges>,
): Promise<GroupStats> {
  const stats: GroupStats = {
    groupsCreated: 0,
    groupsUpdated: 0,
    groupsDeleted: 0,
    membershipsAdded: 0,
    membershipsRemoved: 0,
  };
  const members = new MemberBuffer(writer, stats);
  const batch = new Map<string, { row: RosterGroup; source: DirectoryGroup }>();
  const flush = async () => {
    const written = await writer.writeGroups([...batch.values()].map((g) => g.row));
    stats.groupsCreated += written.created;
    stats.groupsUpdated += written.updated;
    for (const { id, externalId } of written.groups) {
      const source = batch.get(externalId)?.source;
      if (!source) continue;
      for await (const page of reader.members(source)) {
        signal.throwIfAborted();
        await members.add(id, page);
      }
      await members.complete(id);
    }
    batch.clear();
  };
  const removed: string[] = [];
  for await (const page of changes ?? listed(reader)) {
    signal.throwIfAborted();
    removed.push(...page.removed);
    for (const group of page.changed) {
      const row = toRosterGroup(group);
      // A group listed twice is written and read once.
      if (row && !batch.has(row.externalId)) batch.set(row.externalId, { row, source: group });
    }
    if (batch.size >= GROUP_BATCH) await flush();
  }
  if (batch.size) await flush();
  await members.apply();
  signal.throwIfAborted();
  const deleted = changes ? await writer.deleteGroups(removed) : await writer.deleteMissing();
  stats.groupsDeleted = deleted.groups;
  stats.membershipsRemoved += deleted.memberships;
  return stats;
}

/** A full listing, as changes that remove nothing (what it does not list goes at the end). */
async function* listed(reader: GroupReader): AsyncIterable<GroupChanges> {
  for await (const changed of reader.groups()) yield { changed, removed: [] };
}

/** A group needs a directory id; one without a name is shown by its id. */
function toRosterGroup(group: DirectoryGroup): RosterGroup | undefined {
  const externalId = typeof group?.externalId === 'string' ? group.externalId : '';
  if (!externalId) return undefined;
  const name = typeof group.name === 'string' && group.name.trim() ? group.name : externalId;
  return { externalId, name, description: group.description || null };
}

/**
 * Member ids of the groups being read: held in memory up to MEMBER_BUFFER, then in the
 * run's temporary table; applied a set of completed groups at a time, never a group whose
 * list is still being read.
 */
class MemberBuffer {
  private groupIds: string[] = [];
  private externalIds: string[] = [];
  private readonly completed: string[] = [];
  private pending = 0;

  constructor(
    private readonly writer: GroupWriter,
    private readonly stats: GroupStats,
  ) {}

  async add(groupId: string, externalIds: string[]): Promise<void> {
    for (const id of externalIds) {
      if (typeof id !== 'string' || !id) continue;
      this.groupIds.push(groupId);
      this.externalIds.push(id);
    }
    if (this.externalIds.length >= MEMBER_BUFFER) await this.spill();
  }

  /** The group's list is complete: it joins the next apply. */
  async complete(groupId: string): Promise<void> {
    this.completed.push(groupId);
    const held = this.pending + this.externalIds.length;
    if (held >= MEMBER_BUFFER || this.completed.length >= GROUP_BATCH) await this.apply();
  }

  async apply(): Promise<void> {
    if (!this.completed.length) return;
    await this.spill();
    const counts = await this.writer.applyMembers(this.completed);
    this.stats.membershipsAdded += counts.added;
    this.stats.membershipsRemoved += counts.removed;
    this.completed.length = 0;
    this.pending = 0;
  }

  private async spill(): Promise<void> {
    if (!this.externalIds.length) return;
    await this.writer.addMembers(this.groupIds, this.externalIds);
    this.pending += this.externalIds.length;
    this.groupIds = [];
    this.externalIds = [];
  }
}
