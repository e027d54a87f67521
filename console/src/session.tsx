import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { api, setCsrfToken, unwrap } from './api/client.ts';

export type Session = NonNullable<Awaited<ReturnType<typeof loadSession>>>;
type Role = 'admin' | 'member';

async function loadSession() {
  const result = await api.GET('/api/v1/session');
  if (result.response.status === 401) {
    setCsrfToken(undefined);
    return undefined;
  }
  const session = unwrap(result);
  setCsrfToken(session.csrf_token);
  return session;
}

const SessionContext = createContext<{ session: Session; refresh: () => Promise<void> } | undefined>(undefined);

/** Loads the signed-in user (or undefined) for the whole app. */
export function useSessionQuery() {
  return useQuery({ queryKey: ['session'], queryFn: loadSession, staleTime: 60_000 });
}

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  const client = useQueryClient();
  return <SessionContext value={{ session, refresh: () => client.invalidateQueries({ queryKey: ['session'] }) }}>{children}</SessionContext>;
}

export function useSession() {
  const value = useContext(SessionContext);
  if (value === undefined) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The user's role in a project: instance admins are admins everywhere. */
export function useRole(projectId: string): Role | undefined {
  const { session } = useSession();
  if (session.user.instance_admin) return 'admin';
  return session.projects.find((p) => p.id === projectId)?.role;
}

