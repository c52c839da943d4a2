import { defineConfig } from 'prisma/config';

// Only `prisma generate` is used (migrations are SQL files applied by node-pg-migrate), and it
// needs no database: the URL is a placeholder unless one is set.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/sck_ingest' },
});
