import type { RequestHandler } from 'express';
import express from 'express';
import { rejectPrototypeKeys } from '../errors/body-parser-errors';
import type { HttpConfig } from './http.config';

/**
 * JSON and form parsers with the configured size limit. They are mounted as Nest middleware
 * (not by NestFactory) so they run after the logger has assigned the request id: a malformed or
 * oversized body is still logged and answered with that id.
 */
export function bodyParsers(config: HttpConfig): RequestHandler[] {
  return [
    express.json({
      limit: config.bodyLimit,
      reviver: rejectPrototypeKeys,
      type: ['application/json', 'application/*+json'],
    }),
    express.urlencoded({ limit: config.bodyLimit, extended: false, parameterLimit: 1000 }),
  ];
}
