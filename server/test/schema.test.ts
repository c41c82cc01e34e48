// The printed schema is committed (clients and codegen read it): it must match the code.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { printedSchema, schemaFile } from '../src/print-schema.ts';

it('server/schema.graphql is up to date (run `pnpm schema:print` after changing the API)', () => {
  expect(readFileSync(schemaFile, 'utf8')).toBe(printedSchema());
});
