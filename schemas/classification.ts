/** Classification globs as written in policies: up to three `/`-separated segments using `*` and `?`. */
import { z } from 'zod';

export const CLASSIFICATION_GLOB_PATTERN = String.raw`^[!-.0-~]*(?:/[!-.0-~]*){0,2}$`;

export const classificationGlobSchema = z.string().min(1, { error: 'a classification pattern cannot be empty; use "*" to match everything' }).regex(new RegExp(CLASSIFICATION_GLOB_PATTERN), {
  error: 'expected a classification pattern like "org.clearlinux/crash/*": at most three "/"-separated parts, no spaces',
});

export const severitySchema = z.number().int().min(1).max(4);
