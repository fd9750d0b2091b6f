// The sections of /app/settings, in the order the side navigation lists them. Each is its own
// page at /app/settings/<id>; /app/settings opens the first.
import type { ReactNode } from 'react';
import type { Session } from '../../api/api.ts';
import { ImportSettingsSection } from '../import/import-settings-section.tsx';
import { ApiKeysSection } from './api-keys-section.tsx';
import { BanksSection } from './banks-section.tsx';
import { BrandingSection } from './branding-section.tsx';
import { EmailSection } from './email-section.tsx';
import { InstallmentPlansSection } from './installment-plans-section.tsx';
import { PaymentRulesSection } from './payment-rules-section.tsx';
import { ProcessorSection } from './processor-section.tsx';
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
  { id: 'processor', label: 'Processor', render: () => <ProcessorSection /> },
  { id: 'banks', label: 'Banks and divisions', render: () => <BanksSection /> },
  { id: 'installment-plans', label: 'Installment plans', render: () => <InstallmentPlansSection /> },
  { id: 'email', label: 'E-mail', render: (session) => <EmailSection session={session} /> },
  { id: 'branding', label: 'Portal branding', render: () => <BrandingSection /> },
  { id: 'import', label: 'Import the book', render: () => <ImportSettingsSection /> },
];
