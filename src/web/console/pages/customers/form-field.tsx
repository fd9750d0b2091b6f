// One labelled input with the API's message for it: the customer, contact and policy forms are
// made of these, so every control has a label and every refusal lands under its field.
import type { ReactNode } from 'react';
import { FieldErrorText } from '../../shared/field-errors.tsx';

type FieldProps = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  type?: 'text' | 'email' | 'tel' | 'date' | 'number';
  required?: boolean;
  maxLength?: number;
  autoComplete?: string;
  hint?: ReactNode;
};

export function FormField({
  id,
  label,
  value,
  onChange,
  error,
  type = 'text',
  required,
  maxLength,
  autoComplete,
  hint,
}: FieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        required={required}
        maxLength={maxLength}
        autoComplete={autoComplete ?? 'off'}
        {...(type === 'number' ? { inputMode: 'decimal' as const, step: '0.01', min: '0' } : {})}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      {hint && <p className="field-hint muted">{hint}</p>}
      <FieldErrorText id={`${id}-error`} message={error} />
    </div>
  );
}

type SelectProps = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly { value: string; label: string }[];
  error?: string | undefined;
};

export function SelectField({ id, label, value, onChange, options, error }: SelectProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <FieldErrorText id={`${id}-error`} message={error} />
    </div>
  );
}

/** The form's refusal: the API's own sentence, announced. */
export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert">
      {message}
    </div>
  );
}
