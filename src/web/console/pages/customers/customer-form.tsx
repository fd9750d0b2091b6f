// Creating a customer (customers page) or editing one (customer page): its type, name, e-mail,
// phone and postal address, as the API's customer fields are. An emptied field is cleared.
import { type FormEvent, useRef, useState } from 'react';
import { type Customer, errorMessage, newIdempotencyKey, refusedByServer } from '../../api/api.ts';
import { type Address, type CustomerFields, createCustomer, updateCustomer } from '../../api/customers-api.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { FormError, FormField, SelectField } from './form-field.tsx';

const addressFields = [
  { key: 'line1', label: 'Address line 1', max: 200, autoComplete: 'address-line1' },
  { key: 'line2', label: 'Address line 2', max: 200, autoComplete: 'address-line2' },
  { key: 'city', label: 'City', max: 100, autoComplete: 'address-level2' },
  { key: 'state', label: 'State', max: 50, autoComplete: 'address-level1' },
  { key: 'postalCode', label: 'Postal code', max: 20, autoComplete: 'postal-code' },
  { key: 'country', label: 'Country (2 letters)', max: 2, autoComplete: 'country' },
] as const;

type Draft = { type: 'individual' | 'group'; name: string; email: string; phone: string } & Record<
  (typeof addressFields)[number]['key'],
  string
>;

function draftOf(customer: Customer | null): Draft {
  const address = (customer?.address ?? {}) as Address;
  return {
    type: customer?.type ?? 'individual',
    name: customer?.name ?? '',
    email: customer?.email ?? '',
    phone: customer?.phone ?? '',
    line1: address.line1 ?? '',
    line2: address.line2 ?? '',
    city: address.city ?? '',
    state: address.state ?? '',
    postalCode: address.postalCode ?? '',
    country: address.country ?? '',
  };
}

function fieldsOf(draft: Draft): CustomerFields {
  const address: Address = {};
  for (const { key } of addressFields) if (draft[key].trim()) address[key] = draft[key].trim();
  return {
    type: draft.type,
    name: draft.name.trim(),
    email: draft.email.trim() || null,
    phone: draft.phone.trim() || null,
    address: Object.keys(address).length ? address : null,
  };
}

type Props = { customer: Customer | null; onSaved: (customer: Customer) => void; onCancel: () => void };

export function CustomerForm({ customer, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(customer));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  const set = (field: keyof Draft) => (value: string) => setDraft((d) => ({ ...d, [field]: value }));
  const prefix = customer ? 'edit-customer' : 'new-customer';

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setErrors({});
    const fields = fieldsOf(draft);
    try {
      if (customer) {
        // Only what changed is sent: the edit is what follows the customer to the systems it is
        // synced with, so a field left alone keeps whatever a system wrote there.
        const before = fieldsOf(draftOf(customer));
        const changed = Object.fromEntries(
          Object.entries(fields).filter(
            ([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k as keyof CustomerFields]),
          ),
        );
        onSaved(Object.keys(changed).length ? await updateCustomer(customer.customerNumber, changed) : customer);
      } else {
        // A new customer leaves out what is empty rather than sending nulls.
        const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
        onSaved(await createCustomer(body, key.current));
      }
    } catch (caught) {
      if (refusedByServer(caught)) key.current = newIdempotencyKey();
      setError(errorMessage(caught));
      setErrors(fieldErrorsOf(caught));
      setBusy(false);
    }
  }

  return (
    <section className="card form-card" aria-labelledby={`${prefix}-heading`}>
      <div className="card-header">
        <h2 id={`${prefix}-heading`}>{customer ? 'Edit customer' : 'New customer'}</h2>
      </div>
      <form className="card-body entity-form" onSubmit={submit} noValidate>
        <FormError message={error} />
        <div className="entity-form-grid">
          <SelectField
            id={`${prefix}-type`}
            label="Type"
            value={draft.type}
            onChange={(value) => setDraft((d) => ({ ...d, type: value as Draft['type'] }))}
            options={[
              { value: 'individual', label: 'Individual' },
              { value: 'group', label: 'Group' },
            ]}
            error={errors.type}
          />
          <FormField
            id={`${prefix}-name`}
            label="Name"
            value={draft.name}
            onChange={set('name')}
            error={errors.name}
            required
            maxLength={200}
          />
          <FormField
            id={`${prefix}-email`}
            label="E-mail"
            type="email"
            value={draft.email}
            onChange={set('email')}
            error={errors.email}
            maxLength={320}
          />
          <FormField
            id={`${prefix}-phone`}
            label="Phone"
            type="tel"
            value={draft.phone}
            onChange={set('phone')}
            error={errors.phone}
            maxLength={40}
          />
          {addressFields.map((f) => (
            <FormField
              key={f.key}
              id={`${prefix}-${f.key}`}
              label={f.label}
              value={draft[f.key]}
              onChange={set(f.key)}
              maxLength={f.max}
              autoComplete={f.autoComplete}
              error={f.key === 'line1' ? errors.address : undefined}
            />
          ))}
        </div>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {customer ? 'Save customer' : 'Create customer'}
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
