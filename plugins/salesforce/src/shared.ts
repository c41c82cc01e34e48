// Input pieces every Salesforce action shares: object names, record ids and field maps. The
// patterns also keep user input from reaching outside the REST path it belongs in.
import { z } from '@patchbay/sdk';

export const sobjectName = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9]*(?:_{1,2}[A-Za-z0-9]+)*$/, 'must be an object API name such as Account, Contact or Invoice__c')
  .max(80)
  .describe('Object API name: standard (Account, Contact, Lead, Opportunity) or custom (Invoice__c, ns__Invoice__c)');

export const recordId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/, 'must be a 15- or 18-character Salesforce record id')
  .describe('Salesforce record id (15 or 18 characters), e.g. 001D000000IqhSLIAZ');

const fieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a field API name such as Name or Amount__c');

export const fieldsSchema = z
  .record(fieldName, z.json())
  .refine((fields) => Object.keys(fields).length > 0, 'needs at least one field')
  .refine((fields) => !Object.keys(fields).some((name) => name.toLowerCase() === 'id'), 'cannot set Id: Salesforce assigns it (use update_record to change a record)')
  .describe('Field API names and values, e.g. { "LastName": "Lovelace", "Email": "ada@example.com", "Score__c": 42 }; a relationship may be set by external id: { "Account": { "External_Id__c": "A-1" } }');
