// One place that turns "where is the database" into a Prisma driver-adapter factory.
// Prisma 7 talks to databases only through driver adapters (no Rust query engine), and the
// wasm schema engine used by migrate.ts needs one too, so both share this.
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

export type DbTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; db: PGlite };

/** The adapter factory for `target`: pass it to `new PrismaClient({ adapter })` or to the migration runner. */
export function adapterFactoryFor(target: DbTarget): SqlMigrationAwareDriverAdapterFactory {
  return target.kind === 'postgres'
    ? new PrismaPg({ connectionString: target.url })
    : new PrismaPGlite(target.db);
}
