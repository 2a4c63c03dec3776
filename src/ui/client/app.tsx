import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, forgetKey, onUnauthorized, storedKey, storeKey } from './api.js';
import { ErrorMessage, Loading } from './components.js';
import { ConnectionFormPage } from './pages/connection-form.js';
import { ConnectionPage } from './pages/connection.js';
import { ConnectionsPage } from './pages/connections.js';
import { EventsPage } from './pages/events.js';
import { GroupPage } from './pages/group.js';
import { GroupsPage } from './pages/groups.js';
import { JobPage } from './pages/job.js';
import { PeoplePage } from './pages/people.js';
import { PersonPage } from './pages/person.js';
import { QueuePage } from './pages/queue.js';
import { SignIn } from './pages/sign-in.js';
import { WebhookEditPage, WebhookPage } from './pages/webhook.js';
import { WebhooksPage } from './pages/webhooks.js';
import { href, matchPath, useLocation, type Location } from './router.js';
import type { Me } from './types.js';
import { asApiError } from './use-api.js';

/** What a page gets: who is signed in, its route parameters and the query of the hash. */
export interface PageProps {
  me: Me;
  params: Record<string, string>;
  query: URLSearchParams;
}

interface Route {
  pattern: string;
  page: ComponentType<PageProps>;
  /** The nav entry this route belongs to. */
  section: string;
}

/** One line per page. */
const ROUTES: Route[] = [
  { pattern: '/connections', page: ConnectionsPage, section: 'Connections' },
  { pattern: '/connections/new', page: ConnectionFormPage, section: 'Connections' },
  { pattern: '/connections/:id', page: ConnectionPage, section: 'Connections' },
  { pattern: '/connections/:id/edit', page: ConnectionFormPage, section: 'Connections' },
  { pattern: '/jobs/:id', page: JobPage, section: 'Connections' },
  { pattern: '/people', page: PeoplePage, section: 'People' },
  { pattern: '/people/:id', page: PersonPage, section: 'People' },
  { pattern: '/groups', page: GroupsPage, section: 'Groups' },
  { pattern: '/groups/:id', page: GroupPage, section: 'Groups' },
  { pattern: '/events', page: EventsPage, section: 'Events' },
  { pattern: '/webhooks', page: WebhooksPage, section: 'Webhooks' },
  { pattern: '/webhooks/:id', page: WebhookPage, section: 'Webhooks' },
  { pattern: '/webhooks/:id/edit', page: WebhookEditPage, section: 'Webhooks' },
  { pattern: '/queue', page: QueuePage, section: 'Queue' },
];

const NAV = [
  { label: 'Connections', path: '/connections' },
  { label: 'People', path: '/people' },
  { label: 'Groups', path: '/groups' },
  { label: 'Events', path: '/events' },
  { label: 'Webhooks', path: '/webhooks' },
  { label: 'Queue', path: '/queue' },
];

function resolve(location: Location) {
  const path = location.path === '/' ? '/connections' : location.path;
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, params };
  }
  return undefined;
}

type Session =
  { state: 'checking' } | { state: 'signed-out'; notice?: string } | { state: 'signed-in'; me: Me };

export function App() {
  const [session, setSession] = useState<Session>(() =>
    storedKey() ? { state: 'checking' } : { state: 'signed-out' },
  );
  const location = useLocation();

  const signOut = (notice?: string) => {
    forgetKey();
    setSession({ state: 'signed-out', notice });
  };

  useEffect(() => {
    // A key revoked while signed in: back to the sign-in form, saying why.
    onUnauthorized(() => signOut('Your API key stopped working (it may have been revoked).'));
    if (session.state !== 'checking') return;
    api<Me>('/api/me').then(
      (me) => setSession({ state: 'signed-in', me }),
      (error: unknown) => {
        const problem = asApiError(error);
        if (problem.status !== 401) setSession({ state: 'signed-out', notice: problem.message });
      },
    );
  }, []);

  if (session.state === 'checking') return <Loading what="your session" />;
  if (session.state === 'signed-out') {
    return (
      <SignIn
        notice={session.notice}
        onSignedIn={(key, me) => {
          storeKey(key);
          setSession({ state: 'signed-in', me });
        }}
      />
    );
  }

  const { me } = session;
  const found = resolve(location);
  const Page = found?.route.page;
  return (
    <>
      <a class="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="product">directory-sync</span>
          <span class="company">{me.companyName}</span>
          <span class={`role role-${me.role}`}>{me.role === 'admin' ? 'admin' : 'read-only'}</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <a
                  href={href(item.path)}
                  aria-current={found?.route.section === item.label ? 'page' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="button secondary" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {found && Page ? (
          // Keyed by the whole hash: another job, or other filters, is a fresh page.
          <Page key={window.location.hash} me={me} params={found.params} query={location.query} />
        ) : (
          <ErrorMessage error={`There is no page at ${location.path}.`} />
        )}
      </main>
    </>
  );
}

/** The skip link moves focus without touching the hash (the hash is the router's). */
function skipToMain(event: Event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}
