import type { ComponentChildren } from 'preact';
import type { ApiError } from './api.js';

/** The pieces of the dashboard's forms: a labelled field with its help and its error. */

/** The message above the form: the API's own, unless each problem is shown at its field. */
export function summary(error: ApiError, shownFields: string[]): string {
  const inline =
    error.fields.length > 0 && error.fields.every((f) => shownFields.includes(f.field));
  return inline ? 'Please check the fields marked below.' : error.message;
}

/** The API's message for one field of a 400, if it named that field. */
export const fieldMessage = (error: ApiError | undefined, field: string): string | undefined =>
  error?.fields.find((problem) => problem.field === field)?.message;

/** aria attributes that tie an input to its help text and its error. */
export function described(id: string, error: string | undefined, help = false) {
  const ids = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { 'aria-describedby': ids || undefined, 'aria-invalid': error ? true : undefined };
}

export function Field({
  id,
  label,
  help,
  error,
  children,
}: {
  id: string;
  label: string;
  help?: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {help ? (
        <p id={`${id}-help`} class="help">
          {help}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} class="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
