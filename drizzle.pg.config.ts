import { defineConfig } from 'drizzle-kit';

// The PostgreSQL migrations, from the tables db/schema-pg.ts derives from db/schema.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema-pg.ts',
  out: './db/migrations-pg',
});
