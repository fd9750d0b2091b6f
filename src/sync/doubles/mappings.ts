import type { RestMappingInput } from '../connectors/rest-mapping.ts';
import { AMS_DOUBLE_API_KEY } from './ams-double.ts';
import { BENEFITS_DOUBLE_TOKEN } from './benefits-double.ts';

/** The generic REST connector's mapping for the AMS double: what an agency would configure. */
export function amsDoubleMapping(baseUrl: string, options: Partial<RestMappingInput> = {}): RestMappingInput {
  return {
    baseUrl,
    auth: { header: 'x-api-key', value: AMS_DOUBLE_API_KEY },
    customer: {
      changesPath: '/customers/changes',
      getPath: '/customers/{id}',
      createPath: '/customers',
      updatePath: '/customers/{id}',
      updateMethod: 'PUT',
      idField: 'customerId',
      versionField: 'version',
      amsCustomerNumberField: 'customerNumber',
      localIdField: 'externalReference',
      fields: {
        name: 'customerName',
        type: 'customerType',
        email: 'email',
        phone: 'phone',
        line1: 'address.line1',
        city: 'address.city',
        state: 'address.state',
        postalCode: 'address.zipCode',
      },
      contact: { fields: { name: 'contactName', email: 'email', phone: 'phone' } },
      policies: {
        itemsField: 'policies',
        idField: 'policyId',
        numberField: 'policyNumber',
        lineOfBusinessField: 'lineOfBusiness',
        effectiveDateField: 'effectiveDate',
        expirationDateField: 'expirationDate',
        premiumField: 'premium',
      },
      invoices: {
        itemsField: 'invoices',
        idField: 'invoiceNumber',
        policyNumberField: 'policyNumber',
        dueDateField: 'dueDate',
        amountField: 'amount',
        openBalanceField: 'openBalance',
      },
    },
    events: { customerTypes: ['customer.created', 'customer.updated'] },
    ...options,
  };
}

/** The mapping for the benefits double: other names, cursor parameters and update method. */
export function benefitsDoubleMapping(baseUrl: string, options: Partial<RestMappingInput> = {}): RestMappingInput {
  return {
    baseUrl,
    auth: { header: 'authorization', value: `Bearer ${BENEFITS_DOUBLE_TOKEN}` },
    customer: {
      changesPath: '/v2/accounts/changes',
      getPath: '/v2/accounts/{id}',
      createPath: '/v2/accounts',
      updatePath: '/v2/accounts/{id}',
      updateMethod: 'PATCH',
      cursorParam: 'after',
      limitParam: 'pageSize',
      itemsField: 'results',
      nextCursorField: 'paging.next',
      idField: 'accountId',
      versionField: 'revision',
      amsCustomerNumberField: 'amsCustomerNumber',
      localIdField: 'externalReference',
      fields: {
        name: 'accountName',
        type: 'accountType',
        email: 'primaryContact.email',
        phone: 'primaryContact.phone',
        line1: 'address.street1',
        city: 'address.city',
        state: 'address.state',
        postalCode: 'address.zip',
      },
      contact: {
        fields: { name: 'primaryContact.name', email: 'primaryContact.email', phone: 'primaryContact.phone' },
      },
      // Plans are its policies (taken for accounts the AMS does not know; the AMS brings the others).
      policies: {
        itemsField: 'plans',
        idField: 'planId',
        numberField: 'policyNumber',
        lineOfBusinessField: 'planType',
        effectiveDateField: 'effectiveDate',
        expirationDateField: 'renewalDate',
        premiumField: 'premium',
      },
    },
    ...options,
  };
}
