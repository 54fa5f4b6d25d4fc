import type { ApiPropertyOptions } from '@nestjs/swagger';

/** OpenAPI shape of document metadata and search filters: a flat map of scalars. */
export const METADATA_PROPERTY: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
};
