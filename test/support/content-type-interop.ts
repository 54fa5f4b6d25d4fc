/**
 * music-metadata (ESM) does `import ContentType from 'content-type'`: under Node that default is
 * the CommonJS module itself, but content-type 2 marks itself `__esModule` without a default, so
 * the CommonJS interop Jest runs it under finds nothing. Same module, plus the default Node gives
 * (mapped in jest.config.js).
 */
import * as contentType from '../../node_modules/content-type/dist/index.js';

export const { parse, format } = contentType;
export default contentType;
