import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, validate } from 'class-validator';
import { flattenValidationErrors } from './validation-errors';

class Settings {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  maxSentences?: number;

  @IsOptional()
  @IsString()
  @MaxLength(3)
  @Matches(/^[a-z]+$/)
  code?: string;
}

const errorsFor = async (plain: object) => flattenValidationErrors(await validate(plainToInstance(Settings, plain)));

describe(flattenValidationErrors.name, () => {
  it('should report a wrong type alone, not the range checks made on it', async () => {
    expect(await errorsFor({ maxSentences: 'three' })).toEqual([
      { field: 'maxSentences', message: 'maxSentences must be an integer number' },
    ]);
    expect(await errorsFor({ code: 12345 })).toEqual([{ field: 'code', message: 'code must be a string' }]);
  });

  it('should report every failed rule when the type is right', async () => {
    const [only] = await errorsFor({ code: 'ABCD' });
    expect(only.field).toBe('code');
    expect(only.message).toContain('shorter than or equal to 3');
    expect(only.message).toContain('must match');
    expect(await errorsFor({ maxSentences: 99 })).toEqual([
      { field: 'maxSentences', message: 'maxSentences must not be greater than 50' },
    ]);
  });
});
