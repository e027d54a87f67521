import { Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, setCsrfToken, unwrap } from '../api/client.ts';
import { useApiError, fieldText } from '../components/Form.tsx';

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={420} maw="100%">
        <Title order={1} size="h3" mb="md">{title}</Title>
        {children}
      </Paper>
    </Center>
  );
}

export function SignInPage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const client = useQueryClient();
  const errors = useApiError();
  const [busy, setBusy] = useState(false);
  const setup = useQuery({ queryKey: ['setup'], queryFn: async () => unwrap(await api.GET('/api/v1/setup')) });
  if (setup.data?.first_admin_needed === true) return <Navigate to="/setup" replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    errors.clear();
    try {
      const session = unwrap(await api.POST('/api/v1/session', { body: { email: fieldText(form, 'email'), password: fieldText(form, 'password') } }));
      setCsrfToken(session.csrf_token);
      client.setQueryData(['session'], session);
      const next = params.get('next');
      void navigate(next?.startsWith('/') === true && !next.startsWith('//') ? next : '/');
    } catch (failure) {
      errors.set(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Frame title="Sign in">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          <TextInput name="email" type="email" label="Email" autoComplete="username" required error={errors.of('email')} data-autofocus />
          <PasswordInput name="password" label="Password" autoComplete="current-password" required error={errors.of('password')} />
          {errors.general(['email', 'password'])}
          <Button type="submit" loading={busy}>Sign in</Button>
          <Text size="sm" c="dimmed">Forgot your password? An instance admin can send you a reset link.</Text>
        </Stack>
      </form>
    </Frame>
  );
}

export function SetupPage() {
  const navigate = useNavigate();
  const errors = useApiError();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    errors.clear();
    try {
      const email = fieldText(form, 'email');
      const password = fieldText(form, 'password');
      unwrap(await api.POST('/api/v1/setup/first-admin', {
        body: { email, password, name: fieldText(form, 'name') || email },
        headers: { authorization: `Bearer ${fieldText(form, 'admin_token').trim()}` },
      }));
      unwrap(await api.POST('/api/v1/session', { body: { email, password } }));
      window.location.assign('/');
    } catch (failure) {
      errors.set(failure);
    } finally {
      setBusy(false);
    }
    void navigate;
  }

  return (
    <Frame title="Create the first admin">
      <Text size="sm" mb="md">
        This console has no users yet. The admin token was printed when the service first started and saved in{' '}
        <code>data/admin-token</code> (or is the <code>ADMIN_TOKEN</code> you configured).
      </Text>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          <PasswordInput name="admin_token" label="Admin token" required autoComplete="off" />
          <TextInput name="name" label="Your name" autoComplete="name" error={errors.of('name')} />
          <TextInput name="email" type="email" label="Email" required autoComplete="username" error={errors.of('email')} />
          <PasswordInput name="password" label="Password" description="At least 10 characters" required autoComplete="new-password" error={errors.of('password')} />
          {errors.general(['email', 'password', 'name'])}
          <Button type="submit" loading={busy}>Create and sign in</Button>
        </Stack>
      </form>
    </Frame>
  );
}

export function SetPasswordPage() {
  const errors = useApiError();
  const [done, setDone] = useState(false);
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    errors.clear();
    try {
      unwrap(await api.POST('/api/v1/password', { body: { token, password: fieldText(form, 'password') } }));
      setDone(true);
    } catch (failure) {
      errors.set(failure);
    }
  }

  return (
    <Frame title="Set your password">
      {done ? <Text>Your password is set. <Anchor href="/sign-in">Sign in</Anchor></Text> : (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack>
            <PasswordInput name="password" label="New password" description="At least 10 characters" required autoComplete="new-password" error={errors.of('password') ?? errors.of('token')} />
            {errors.general(['password', 'token'])}
            <Button type="submit">Set password</Button>
          </Stack>
        </form>
      )}
    </Frame>
  );
}
