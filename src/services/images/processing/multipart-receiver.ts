import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { FennecError } from '../../../platform/errors';
import { ImageTooLargeError, ImageTooManyFilesError, ImageUploadMalformedError } from '../images.errors';
import type { StagedFile } from './staged-file';

export interface ReceivedUpload {
  files: { staged: StagedFile; filename?: string }[];
  fields: Record<string, string>;
}

/**
 * Reads a `multipart/form-data` body with busboy, streaming every file part straight into a
 * temporary file (`stage`): nothing is buffered whole in memory, and limits (bytes per file,
 * files per request) are enforced while the bytes arrive. On any failure every staged file is
 * removed and the first error is thrown.
 */
export function receiveMultipart(
  req: IncomingMessage,
  limits: { maxFiles: number; maxBytes: number },
  stage: (source: Readable) => Promise<StagedFile>,
): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: {
          files: limits.maxFiles,
          fileSize: limits.maxBytes,
          fields: 20,
          fieldSize: 1_024,
          parts: limits.maxFiles + 20,
        },
      });
    } catch (err) {
      reject(new ImageUploadMalformedError(`The multipart body cannot be read: ${(err as Error).message}`));
      return;
    }
    const pending: Promise<{ staged: StagedFile; filename?: string } | undefined>[] = [];
    const fields: Record<string, string> = {};
    let failure: unknown;
    let finished = false;
    const fail = (err: unknown) => {
      failure ??= err;
    };
    const finish = async () => {
      if (finished) return;
      finished = true;
      req.unpipe(parser);
      const files = (await Promise.all(pending)).filter((f) => f !== undefined);
      if (failure === undefined && files.length === 0) {
        fail(new ImageUploadMalformedError('The multipart body has no file part'));
      }
      if (failure !== undefined) {
        await Promise.all(files.map((f) => rm(f.staged.path, { force: true })));
        // Keep the body flowing to its end, so the client reads our answer rather than a reset.
        req.resume();
        reject(
          failure instanceof FennecError
            ? failure
            : new ImageUploadMalformedError(failure instanceof Error ? failure.message : 'The upload failed'),
        );
      } else {
        resolve({ files, fields });
      }
    };
    /** File streams still being written: a client that goes away mid-upload must not leave them hanging. */
    const open = new Set<Readable>();
    parser.on('file', (_name, stream, info) => {
      if (failure !== undefined) {
        stream.resume();
        return;
      }
      open.add(stream);
      stream.once('close', () => open.delete(stream));
      stream.once('end', () => open.delete(stream));
      let truncated = false;
      stream.on('limit', () => {
        truncated = true;
      });
      pending.push(
        stage(stream).then(
          async (staged) => {
            if (!truncated) return { staged, filename: info.filename || undefined };
            await rm(staged.path, { force: true });
            fail(new ImageTooLargeError(`The image is larger than ${limits.maxBytes} bytes (IMAGES_MAX_BYTES)`));
            return undefined;
          },
          (err: unknown) => {
            fail(err);
            stream.resume();
            return undefined;
          },
        ),
      );
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new ImageUploadMalformedError(`The form field '${name}' is too long`));
      fields[name] = value;
    });
    parser.on('filesLimit', () =>
      fail(
        new ImageTooManyFilesError(`More than ${limits.maxFiles} images in one request (IMAGES_MAX_FILES_PER_REQUEST)`),
      ),
    );
    parser.on('partsLimit', () => fail(new ImageUploadMalformedError('Too many parts in the multipart body')));
    parser.on('fieldsLimit', () => fail(new ImageUploadMalformedError('Too many fields in the multipart body')));
    parser.on('error', (err: Error) => {
      fail(new ImageUploadMalformedError(`The multipart body is malformed: ${err.message}`));
      void finish();
    });
    parser.on('close', () => void finish());
    // busboy never hears of a connection closed mid-body (no end, no error): end the open file
    // streams ourselves, so staging fails, its files are removed and the promise settles.
    req.once('close', () => {
      if (req.complete) return;
      const gone = new ImageUploadMalformedError('The client closed the connection before the upload was complete');
      fail(gone);
      for (const stream of open) stream.destroy(gone);
      void finish();
    });
    req.pipe(parser);
  });
}
