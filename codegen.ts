// Typed GraphQL operations for the hub's own clients (the test suite uses them): documents
// written with graphql(`...`) in server/test/**/*.ts are typed against server/schema.graphql.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'server/schema.graphql',
  documents: ['server/test/**/*.ts', '!server/test/gql/**'],
  ignoreNoDocuments: true,
  generates: {
    'server/test/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
      },
    },
  },
};

export default config;
