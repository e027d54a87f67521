import { Alert } from '@mantine/core';
import { useState } from 'react';
import { ApiFailure } from '../api/client.ts';

/** An API failure as form state: the message goes next to the field it names, or above the form. */
export function useApiError() {
  const [error, setError] = useState<{ field?: string; message: string } | undefined>();
  return {
    error,
    set(failure: unknown) {
      if (failure instanceof ApiFailure) setError({ ...(failure.apiError.field !== undefined ? { field: failure.apiError.field } : {}), message: failure.apiError.message });
      else setError({ message: failure instanceof Error ? failure.message : 'something went wrong' });
    },
    clear() { setError(undefined); },
    /** The message for one field (also matches `senders.whatsapp` for `senders`'s inputs when given the full path). */
    of(field: string): string | undefined {
      return error?.field === field ? error.message : undefined;
    },
    /** An alert for errors that name no field shown on the form. */
    general(shownFields: readonly string[]) {
      if (error === undefined || (error.field !== undefined && shownFields.includes(error.field))) return null;
      return <Alert color="red" role="alert" title="Not saved">{error.field !== undefined ? `${error.field}: ` : ''}{error.message}</Alert>;
    },
  };
}

export function ErrorAlert({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message = error instanceof Error ? error.message : 'something went wrong';
  return <Alert color="red" role="alert" title="Could not load">{message}</Alert>;
}

/** A text field of a submitted form ('' when absent). */
export function fieldText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
