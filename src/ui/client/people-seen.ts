import type { Employee } from './types.js';

/**
 * The people the People page has listed in this tab, by id. The person page shows one of
 * them from here only when the service has no GET /api/employees/:id yet (that route comes
 * with the groups API); once it has, the page always reads the person from it.
 */
const seen = new Map<string, Employee>();

export function rememberPeople(people: Employee[]): void {
  for (const person of people) seen.set(person.id, person);
}

export const seenPerson = (id: string): Employee | undefined => seen.get(id);
