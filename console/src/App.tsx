import { Alert, Button, Center, Group, Loader, Stack } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { lazy, Suspense } from 'react';
import { createBrowserRouter, Navigate, RouterProvider, useParams, useRouteError } from 'react-router';
import { Layout } from './components/Layout.tsx';
import { SessionProvider, useSession, useSessionQuery } from './session.tsx';
import { SetPasswordPage, SetupPage, SignInPage } from './pages/Auth.tsx';
import { ProjectsPage } from './pages/Projects.tsx';

const IntegrationsPage = lazy(() => import('./pages/Integrations.tsx'));
const SettingsPage = lazy(() => import('./pages/Settings.tsx'));
const MessagesPage = lazy(() => import('./pages/Messages.tsx'));
const InboxPage = lazy(() => import('./pages/Inbox.tsx'));
const CampaignsPage = lazy(() => import('./pages/Campaigns.tsx'));
const CampaignPage = lazy(() => import('./pages/Campaign.tsx'));
const CustomersPage = lazy(() => import('./pages/Customers.tsx'));
const EventsPage = lazy(() => import('./pages/Events.tsx'));

function Loading() {
  return <Center h="60vh"><Loader aria-label="Loading" /></Center>;
}

/** The signed-in part: everything under a project. */
function SignedIn() {
  const { data: session, isPending } = useSessionQuery();
  if (isPending) return <Loading />;
  if (session === undefined) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname)}`} replace />;
  return <SessionProvider session={session}><Layout /></SessionProvider>;
}

function Home() {
  const { session } = useSession();
  const first = session.projects[0];
  if (first !== undefined && !session.user.instance_admin) return <Navigate to={`/p/${first.id}/integrations`} replace />;
  return <ProjectsPage />;
}

function ProjectIndex() {
  const { projectId } = useParams();
  return <Navigate to={`/p/${projectId}/integrations`} replace />;
}

/** A screen that broke: say so, and give a way out. */
function RouteError() {
  const error = useRouteError();
  return (
    <Center p="xl">
      <Stack maw={560}>
        <Alert color="red" title="This screen ran into a problem" role="alert">{error instanceof Error ? error.message : 'Unexpected error'}</Alert>
        <Group><Button onClick={() => window.location.reload()}>Reload</Button><Button variant="default" onClick={() => window.location.assign('/')}>Home</Button></Group>
      </Stack>
    </Center>
  );
}

const page = (element: React.ReactNode) => <Suspense fallback={<Loading />}>{element}</Suspense>;

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage />, errorElement: <RouteError /> },
  { path: '/setup', element: <SetupPage />, errorElement: <RouteError /> },
  { path: '/set-password', element: <SetPasswordPage />, errorElement: <RouteError /> },
  {
    element: <SignedIn />,
    errorElement: <RouteError />,
    children: [
      { path: '/', element: <Home /> },
      { path: '/p/:projectId', element: <ProjectIndex /> },
      { path: '/p/:projectId/integrations', element: page(<IntegrationsPage />) },
      { path: '/p/:projectId/settings', element: page(<SettingsPage />) },
      { path: '/p/:projectId/messages', element: page(<MessagesPage />) },
      { path: '/p/:projectId/messages/:messageId', element: page(<MessagesPage />) },
      { path: '/p/:projectId/inbox', element: page(<InboxPage />) },
      { path: '/p/:projectId/inbox/:conversationId', element: page(<InboxPage />) },
      { path: '/p/:projectId/campaigns', element: page(<CampaignsPage />) },
      { path: '/p/:projectId/campaigns/:campaignId', element: page(<CampaignPage />) },
      { path: '/p/:projectId/customers', element: page(<CustomersPage />) },
      { path: '/p/:projectId/events', element: page(<EventsPage />) },
    ],
  },
]);

export function App() {
  return (
    <>
      <Notifications position="top-right" />
      <RouterProvider router={router} />
    </>
  );
}
