import { Time } from './components.js';
import { summarize } from './events.js';
import { href } from './router.js';
import type { DirectoryEvent } from './types.js';

/** Events as rows: what happened, when, to whom or what, and what changed. */
export function EventTable({ events, caption }: { events: DirectoryEvent[]; caption: string }) {
  return (
    <table class="cards events">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">When</th>
          <th scope="col">Subject</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => {
          const summary = summarize(event);
          return (
            <tr key={event.id}>
              <th scope="row" data-label="Event">
                <code>{event.type}</code>
              </th>
              <td data-label="When">
                <Time iso={event.occurredAt} />
              </td>
              <td data-label="Subject">
                {summary.path ? (
                  <a href={href(summary.path)}>{summary.subject}</a>
                ) : (
                  summary.subject
                )}
              </td>
              <td data-label="Details">{summary.detail || <span class="muted">—</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
