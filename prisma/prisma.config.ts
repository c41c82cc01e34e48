// Prisma 7 reads the datasource URL from here for CLI commands; the app builds its own
// client with a driver adapter (see src/index.ts), so this only matters to `prisma generate`.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/patchbay' },
});
