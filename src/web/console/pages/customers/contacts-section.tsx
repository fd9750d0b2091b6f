// The customer page's contacts: who they are, which one is primary, and adding or editing one.
// The primary contact follows to the systems the customer is synced with (the API sends it).
import { type FormEvent, useRef, useState } from 'react';
import { type Contact, errorMessage, newIdempotencyKey, refusedByServer } from '../../api/api.ts';
import { addContact, updateContact } from '../../api/customers-api.ts';
import { fieldErrorsOf } from '../../shared/problem-fields.ts';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { FormError, FormField } from './form-field.tsx';

type Props = { customerNumber: number; contacts: Contact[]; onChanged: (notice: string) => void };

export function ContactsSection({ customerNumber, contacts, onChanged }: Props) {
  // null: no form; 'new': adding; a contact: editing it.
  const [editing, setEditing] = useState<Contact | 'new' | null>(null);
  return (
    <section className="card" aria-labelledby="contacts-heading">
      <div className="card-header card-header-row">
        <h2 id="contacts-heading">Contacts</h2>
        {editing === null && (
          <button type="button" className="button button-secondary" onClick={() => setEditing('new')}>
            Add contact
          </button>
        )}
      </div>
      {editing !== null && (
        <ContactForm
          key={editing === 'new' ? 'new' : editing.id}
          customerNumber={customerNumber}
          contact={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={(contact) => {
            setEditing(null);
            onChanged(`Contact ${contact.name} ${editing === 'new' ? 'added' : 'saved'}.`);
          }}
        />
      )}
      <TableWrap label="Contacts">
        <table className="data-table" aria-label="Contacts">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">E-mail</th>
              <th scope="col">Phone</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((contact) => (
              <tr key={contact.id}>
                <td>
                  {contact.name}
                  {contact.primary && <span className="badge badge-blue badge-inline">Primary</span>}
                </td>
                <td>{contact.email ?? '—'}</td>
                <td>{contact.phone ?? '—'}</td>
                <td className="actions">
                  <button
                    type="button"
                    className="button button-secondary"
                    aria-label={`Edit contact ${contact.name}`}
                    onClick={() => setEditing(contact)}
                  >
                    Edit
                  </button>
                </td>
              </tr>
            ))}
            {contacts.length === 0 && (
              <tr>
                <td colSpan={4} className="empty-cell">
                  No contacts yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

type FormProps = {
  customerNumber: number;
  contact: Contact | null;
  onSaved: (contact: Contact) => void;
  onCancel: () => void;
};

function ContactForm({ customerNumber, contact, onSaved, onCancel }: FormProps) {
  const [name, setName] = useState(contact?.name ?? '');
  const [email, setEmail] = useState(contact?.email ?? '');
  const [phone, setPhone] = useState(contact?.phone ?? '');
  const [primary, setPrimary] = useState(contact?.primary ?? false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  const prefix = contact ? 'edit-contact' : 'new-contact';

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setErrors({});
    try {
      if (contact) {
        onSaved(
          await updateContact(customerNumber, contact.id, {
            name: name.trim(),
            email: email.trim() || null,
            phone: phone.trim() || null,
            // A customer keeps a primary contact: the API only takes "make this one primary".
            ...(primary && !contact.primary ? { primary: true } : {}),
          }),
        );
      } else {
        onSaved(
          await addContact(
            customerNumber,
            {
              name: name.trim(),
              ...(email.trim() ? { email: email.trim() } : {}),
              ...(phone.trim() ? { phone: phone.trim() } : {}),
              ...(primary ? { primary: true } : {}),
            },
            key.current,
          ),
        );
      }
    } catch (caught) {
      if (refusedByServer(caught)) key.current = newIdempotencyKey();
      setError(errorMessage(caught));
      setErrors(fieldErrorsOf(caught));
      setBusy(false);
    }
  }

  return (
    <form
      className="card-body entity-form"
      onSubmit={submit}
      noValidate
      aria-label={contact ? `Edit contact ${contact.name}` : 'New contact'}
    >
      <FormError message={error} />
      <div className="entity-form-grid">
        <FormField
          id={`${prefix}-name`}
          label="Contact name"
          value={name}
          onChange={setName}
          error={errors.name}
          required
          maxLength={200}
        />
        <FormField
          id={`${prefix}-email`}
          label="Contact e-mail"
          type="email"
          value={email}
          onChange={setEmail}
          error={errors.email}
          maxLength={320}
        />
        <FormField
          id={`${prefix}-phone`}
          label="Contact phone"
          type="tel"
          value={phone}
          onChange={setPhone}
          error={errors.phone}
          maxLength={40}
        />
      </div>
      <div className="field field-check">
        <input
          id={`${prefix}-primary`}
          type="checkbox"
          checked={primary}
          disabled={contact?.primary === true}
          onChange={(event) => setPrimary(event.target.checked)}
        />
        <label htmlFor={`${prefix}-primary`}>Primary contact</label>
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {contact ? 'Save contact' : 'Add contact'}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
