// @patchbay/plugin-sql: parameterised SQL against PostgreSQL, MySQL and MariaDB.
import { definePlugin } from '@patchbay/sdk';
import { query } from './actions/query.ts';
import { sqlAuth } from './auth.ts';
import { closeAllPools } from './pools.ts';

export { closeAllPools, poolCount } from './pools.ts';

export default definePlugin({
  key: 'sql',
  displayName: 'SQL database',
  category: 'database',
  description: 'Run parameterised SQL on PostgreSQL, MySQL and MariaDB, with read-only mode, statement timeouts and cancellation.',
  auth: [sqlAuth],
  actions: [query],
  close: closeAllPools,
});
