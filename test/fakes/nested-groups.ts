/**
 * Every member id reachable from a group through the groups nested in it, each once, in the
 * order met (depth first; cycles allowed), as the directories that flatten nesting list them.
 * `directMembers` answers a group's direct member ids, or undefined for a user's id.
 */
export function transitiveMemberIds(
  groupId: string,
  directMembers: (id: string) => string[] | undefined,
): string[] {
  const seen = new Set<string>([groupId]);
  const ids: string[] = [];
  const visit = (id: string) => {
    for (const member of directMembers(id) ?? []) {
      if (seen.has(member)) continue;
      seen.add(member);
      ids.push(member);
      visit(member);
    }
  };
  visit(groupId);
  return ids;
}
