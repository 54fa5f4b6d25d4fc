export * from './image-record';
export * from './image-store';
export * from './images.errors';
export * from './images.module';
export { CaptionCheckDto, CaptionInfoDto } from './dto/image.dto';
