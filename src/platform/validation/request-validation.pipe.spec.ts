import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import { MalformedBodyError, PayloadTooLargeError, RequestValidationError, UnsupportedMediaTypeError } from '../errors';
import { markNonJsonMediaType, UnusableBody } from '../http/request-body';
import { RequestValidationPipe } from './request-validation.pipe';

class NoteDto {
  @IsString()
  text!: string;

  @IsOptional()
  @IsString()
  tag?: string;
}

class OptionalDto {
  @IsOptional()
  @IsString()
  reason?: string;
}

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

describe(RequestValidationPipe.name, () => {
  const pipe = new RequestValidationPipe();

  it('should validate and transform a JSON object body into its DTO', async () => {
    const out = await pipe.transform({ text: 'hi' }, body(NoteDto));
    expect(out).toBeInstanceOf(NoteDto);
    expect(out).toEqual({ text: 'hi' });
  });

  it('should answer 415 for a body not sent as JSON, before validating it', async () => {
    const form = { text: 'hi' };
    markNonJsonMediaType(form, 'text/plain');
    await expect(pipe.transform(form, body(NoteDto))).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    // Untyped bodies too: the media type is the route's to refuse, not the DTO's.
    await expect(pipe.transform(form, body(Object))).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it("should answer an unusable body's own error", async () => {
    const problem = new PayloadTooLargeError('too big');
    await expect(pipe.transform(new UnusableBody(problem), body(NoteDto))).rejects.toBe(problem);
  });

  it('should refuse null, arrays and scalars as not a JSON object', async () => {
    for (const value of [null, [1], 'x', 3]) {
      await expect(pipe.transform(value, body(NoteDto))).rejects.toBeInstanceOf(MalformedBodyError);
    }
  });

  it('should validate no body as {}: all-optional DTOs pass, others name their missing fields', async () => {
    await expect(pipe.transform(undefined, body(OptionalDto))).resolves.toEqual({});
    const refused = pipe.transform(undefined, body(NoteDto));
    await expect(refused).rejects.toBeInstanceOf(RequestValidationError);
    await expect(refused).rejects.toMatchObject({ fieldErrors: [{ field: 'text' }] });
  });

  it('should leave query and path parameters to plain validation', async () => {
    await expect(pipe.transform(undefined, { type: 'query', metatype: String })).resolves.toBeUndefined();
  });
});
