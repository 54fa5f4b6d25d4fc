import { FennecError } from '../../platform/errors';

export class ImageNotFoundError extends FennecError {
  readonly code = 'IMAGES.NOT_FOUND';
  readonly kind = 'not_found';
  constructor(id: string) {
    super(`No image '${id}'`);
  }
}

/** The bytes are not an image of an accepted format (detected from content, never from name or type). */
export class ImageUnsupportedFormatError extends FennecError {
  readonly code = 'IMAGES.UNSUPPORTED_FORMAT';
  readonly kind = 'invalid';
}

/** The image claims a format but does not decode: truncated, corrupt or malformed. */
export class ImageCorruptError extends FennecError {
  readonly code = 'IMAGES.CORRUPT';
  readonly kind = 'invalid';
}

/** The file is an image and also something else (data after the image's end, embedded markup). */
export class ImagePolyglotError extends FennecError {
  readonly code = 'IMAGES.POLYGLOT';
  readonly kind = 'invalid';
}

/** An SVG refers to something outside itself (external href, stylesheet, entity). */
export class ImageExternalReferenceError extends FennecError {
  readonly code = 'IMAGES.EXTERNAL_REFERENCE';
  readonly kind = 'invalid';
}

/** More bytes than IMAGES_MAX_BYTES. */
export class ImageTooLargeError extends FennecError {
  readonly code = 'IMAGES.TOO_LARGE';
  readonly kind = 'too_large';
}

/** More pixels than IMAGES_MAX_PIXELS (read from the header, before decoding: decompression bombs). */
export class ImageTooManyPixelsError extends FennecError {
  readonly code = 'IMAGES.TOO_MANY_PIXELS';
  readonly kind = 'too_large';
}

/** More animation frames than IMAGES_MAX_FRAMES. */
export class ImageTooManyFramesError extends FennecError {
  readonly code = 'IMAGES.TOO_MANY_FRAMES';
  readonly kind = 'too_large';
}

/** More images in one request than IMAGES_MAX_FILES_PER_REQUEST. */
export class ImageTooManyFilesError extends FennecError {
  readonly code = 'IMAGES.TOO_MANY_FILES';
  readonly kind = 'too_large';
}

/** The upload itself is malformed: not multipart/JSON, no image part, broken multipart, bad base64. */
export class ImageUploadMalformedError extends FennecError {
  readonly code = 'IMAGES.UPLOAD_MALFORMED';
  readonly kind = 'invalid';
}

/** A variant or transform asks for something outside the configured bounds, or impossible on this image. */
export class ImageProcessingRequestError extends FennecError {
  readonly code = 'IMAGES.INVALID_OPERATION';
  readonly kind = 'invalid';
}
