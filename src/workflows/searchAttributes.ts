// Search attributes that make every node's onboarding findable in the Temporal Web UI.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const NODE_NAME = defineSearchAttributeKey('NodeName', SearchAttributeType.KEYWORD);
export const INSTANCE_ID = defineSearchAttributeKey('InstanceId', SearchAttributeType.KEYWORD);
export const PHASE = defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD);

/** Names and types as the dev server's `--search-attribute` flag and the operator CLI want them. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword'> = {
  NodeName: 'Keyword',
  InstanceId: 'Keyword',
  Phase: 'Keyword',
};
