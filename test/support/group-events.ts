/** A group as group events carry it (the fields specs read). */
interface EventGroup {
  id: string;
  name: string;
  memberCount: number;
}

/**
 * A group event as specs read it: `group.created|updated|deleted` carry the group itself,
 * `group.member_added|removed` carry `{group, employee}`; which fields are there depends on
 * the type.
 */
export interface GroupEvent {
  type: string;
  data: EventGroup & {
    group: EventGroup;
    employee: { id: string; email: string; externalId: string };
  };
}
