export * from './image-record';
export * from './image-store';
export * from './images.errors';
export * from './images.module';
export { CaptionCheckDto, CaptionInfoDto } from './dto/image.dto';
export { ImageSignedUrls, SIGNED_IMAGE_PATH, type SignedImageGrant } from './image-signed-urls';
