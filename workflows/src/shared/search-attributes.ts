// Typed keys of Patchbay's search attributes, for starting runs from the api (client.ts) and
// child runs from workflows. Safe in workflow code: @temporalio/common is deterministic.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const searchAttributeKeys = {
  OrgId: defineSearchAttributeKey('OrgId', SearchAttributeType.KEYWORD),
  RunKind: defineSearchAttributeKey('RunKind', SearchAttributeType.KEYWORD),
  ConnectionId: defineSearchAttributeKey('ConnectionId', SearchAttributeType.KEYWORD),
  IntegrationKey: defineSearchAttributeKey('IntegrationKey', SearchAttributeType.KEYWORD),
};
