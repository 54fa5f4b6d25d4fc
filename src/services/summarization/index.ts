export * from './summarization.module';
export * from './summarization.service';
export { splitSentences, type TextSpan } from './text/sentence-splitter';
