// ctx.store: a plugin's small per-connection state, persisted in PostgreSQL.
import type { Database, Prisma } from '@patchbay/db';
import type { KeyValueStore } from '@patchbay/sdk';

export function connectionStore(db: Database, connectionId: string): KeyValueStore {
  const { prisma } = db;
  return {
    async get<T>(key: string) {
      const row = await prisma.connectionStoreEntry.findUnique({ where: { connectionId_key: { connectionId, key } } });
      return row?.value as T | undefined;
    },
    async set(key, value) {
      const json = (value ?? null) as Prisma.InputJsonValue;
      await prisma.connectionStoreEntry.upsert({
        where: { connectionId_key: { connectionId, key } },
        create: { connectionId, key, value: json },
        update: { value: json },
      });
    },
    async delete(key) {
      await prisma.connectionStoreEntry.deleteMany({ where: { connectionId, key } });
    },
  };
}
