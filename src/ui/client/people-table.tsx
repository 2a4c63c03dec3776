import { Time } from './components.js';
import { personName } from './format.js';
import { href } from './router.js';
import type { Connection, Employee } from './types.js';

/** People as rows, each linked to their page; `connectionName` names their connection. */
export function PeopleTable({
  people,
  caption,
  connectionName,
}: {
  people: Employee[];
  caption: string;
  connectionName: (id: string | null) => string;
}) {
  return (
    <table class="cards">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Email</th>
          <th scope="col">Department</th>
          <th scope="col">Title</th>
          <th scope="col">Status</th>
          <th scope="col">Connection</th>
        </tr>
      </thead>
      <tbody>
        {people.map((person) => (
          <tr key={person.id}>
            <th scope="row" data-label="Name">
              <a href={href(`/people/${person.id}`)}>
                {personName(person) || person.email || 'unnamed'}
              </a>
            </th>
            <td data-label="Email">{person.email}</td>
            <td data-label="Department">{person.department ?? '—'}</td>
            <td data-label="Title">{person.title ?? '—'}</td>
            <td data-label="Status">
              {person.active ? (
                'active'
              ) : (
                <>
                  deactivated <Time iso={person.deactivatedAt} empty="" />
                </>
              )}
            </td>
            <td data-label="Connection">{connectionName(person.connectionId)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Names a connection by id among the company's connections (a dash until they came). */
export const connectionNames =
  (connections: Connection[] | undefined) =>
  (id: string | null): string =>
    connections?.find((c) => c.id === id)?.name ?? '—';
