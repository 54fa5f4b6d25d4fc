export * from './caller';
export * from './current-caller.decorator';
export * from './request-context';
