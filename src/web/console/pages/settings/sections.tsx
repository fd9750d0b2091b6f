// The sections of /app/settings, in the order the side navigation lists them. Each is its own
// page at /app/settings/<id>; /app/settings opens the first.
import type { ReactNode } from 'react';
import type { Session } from '../../shared/api.ts';
import { ImportSettingsSection } from '../import/import-settings-section.tsx';
import { ApiKeysSection } from './api-keys-section.tsx';
import { PaymentRulesSection } from './payment-rules-section.tsx';
import { UsersSection } from './users-section.tsx';

export interface SettingsSection {
  id: string;
  label: string;
  render: (session: Session) => ReactNode;
}

export const settingsSections: readonly SettingsSection[] = [
  { id: 'payment-rules', label: 'Payment rules', render: () => <PaymentRulesSection /> },
  { id: 'users', label: 'Users and roles', render: (session) => <UsersSection session={session} /> },
  { id: 'api-keys', label: 'API keys', render: () => <ApiKeysSection /> },
  { id: 'import', label: 'Import the book', render: () => <ImportSettingsSection /> },
];
