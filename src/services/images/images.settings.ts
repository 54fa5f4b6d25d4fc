import { IsBoolean, IsInt, Max, Min } from 'class-validator';

/**
 * Runtime configuration of the `images` service (`GET/PATCH /config/images`), versioned and shared
 * by every instance. E.g. `PATCH /config/images {"nearDuplicateDistance":6}`.
 */
export class ImagesSettings {
  /**
   * Largest Hamming distance (of 64 bits) between two perceptual hashes that still makes images
   * near-duplicates: 0 only near-identical pixels, ~10 resized/recompressed copies, >20 unrelated.
   */
  @IsInt()
  @Min(0)
  @Max(32)
  nearDuplicateDistance: number = 10;

  /** Strip EXIF/XMP/IPTC metadata (GPS included) from uploads when the request does not say. */
  @IsBoolean()
  stripMetadataByDefault: boolean = false;
}
