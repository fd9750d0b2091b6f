// The inputs of a settings form: a checkbox, a text field and a select, each with its hint and the
// error the server's problem+json names for it.
import type { ReactNode } from 'react';
import { FieldErrorText } from '../../shared/field-errors.tsx';

type Common = { id: string; label: string; hint?: ReactNode; error?: string | undefined };

export function CheckField(props: Common & { checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <div className="field">
      <label className="choice">
        <input
          id={props.id}
          type="checkbox"
          checked={props.checked}
          onChange={(event) => props.onChange(event.target.checked)}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={`${props.id}-hint ${props.id}-error`}
        />
        {props.label}
      </label>
      {props.hint && (
        <p className="field-hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      <FieldErrorText id={`${props.id}-error`} message={props.error} />
    </div>
  );
}

export function TextField(
  props: Common & { value: string; onChange: (value: string) => void; type?: string; numeric?: boolean },
) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type={props.type ?? 'text'}
        inputMode={props.numeric ? 'numeric' : undefined}
        className={props.numeric ? 'input-money' : undefined}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${props.id}-hint ${props.id}-error`}
      />
      {props.hint && (
        <p className="field-hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      <FieldErrorText id={`${props.id}-error`} message={props.error} />
    </div>
  );
}

export function SelectField(
  props: Common & { value: string; onChange: (value: string) => void; options: { value: string; label: string }[] },
) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${props.id}-hint ${props.id}-error`}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {props.hint && (
        <p className="field-hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      <FieldErrorText id={`${props.id}-error`} message={props.error} />
    </div>
  );
}

/**
 * The alert above a refused form: when the server named fields, each message already stands
 * under its field, so the alert points there instead of repeating them with their API names.
 */
export function refusalSummary(detail: string, fieldErrors: Record<string, string>): string {
  const count = Object.keys(fieldErrors).length;
  if (count === 0) return detail;
  return count === 1
    ? 'Not saved: one field needs a change (see below).'
    : `Not saved: ${count} fields need a change (see below).`;
}
