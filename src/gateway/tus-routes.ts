/**
 * @module Resumable uploads with tus 1.0 (@tus/server) at `/api/v1/files/tus`: a large upload cut
 * by a network drop resumes from the offset the server has, without sending again what arrived.
 * The finished upload becomes a file exactly as `POST /api/v1/files` makes one.
 */

import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "../chat/accounts.js";
import { checkUpload, keepStaged } from "../chat/actions/files.js";
import type { ChatContext } from "../chat/context.js";
import { errorAnswer } from "../http/wire-errors.js";
import type { TrafficSli } from "../ops/monitoring/traffic-sli.js";
import { ERRORS, HaetaeError } from "../protocol/index.js";
import { makePrivateFolder } from "../store/data-folder.js";

export const TUS_PATH = "/api/v1/files/tus";

/** Unfinished uploads past their time are looked for at least this often. */
const EXPIRY_SWEEP_MAX_MS = 10 * 60_000;

/** A catalogue error as tus's hooks throw one: its status and the usual JSON body. */
function tusError(error: unknown): { status_code: number; body: string } {
  const { error: body } = errorAnswer(error);
  return { status_code: ERRORS[body.code].status, body: JSON.stringify({ error: body }) };
}

/** The user a tus request is made by (Bearer), or a thrown 401. */
async function userOf(ctx: ChatContext, req: Request): Promise<string> {
  const header = req.headers.get("authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  try {
    return (await authenticate(ctx, token)).user.id;
  } catch (error) {
    throw tusError(error);
  }
}

/**
 * The tus server. An upload's id starts with its owner's id, so nobody else can read its offset,
 * resume it or end it (`not_found`, as for an id that never existed). Its length is declared
 * when it is created (no deferred length) and checked like a plain upload's. Each finished
 * upload (made a file, or failed at that step) is an upload SLI event in `traffic`. An upload
 * left unfinished is removed `unattachedFileTtlMs` after it was created, like an upload no
 * message carries (`close` stops that sweep).
 */
export function tusRoutes(ctx: ChatContext, directory: string, traffic?: TrafficSli) {
  // Made here, 0700, before the store makes it with the process's umask: partial uploads are users' bytes.
  makePrivateFolder(directory);
  // @tus/server and its telemetry load at the first resumable upload, not at start (about 16 MB).
  let server: Promise<{ handle(req: IncomingMessage, res: ServerResponse): Promise<void> }> | undefined;
  let sweep: NodeJS.Timeout | undefined;
  let closed = false;
  const ttl = ctx.limits.unattachedFileTtlMs;
  const start = async () => {
    const [{ Server }, { FileStore }] = await Promise.all([import("@tus/server"), import("@tus/file-store")]);
    const tus = new Server({
      path: TUS_PATH,
      // 0 is tus's "never expires": an unattached-file time of 0 removes finished uploads at once,
      // and an unfinished one is the user's to resume or cancel.
      datastore: new FileStore({ directory, expirationPeriodInMilliseconds: ttl }),
      maxSize: ctx.limits.maxFileBytes,
      relativeLocation: true,
      namingFunction: async (req) => `${await userOf(ctx, req)}.${randomUUID()}`,
      onIncomingRequest: async (req, uploadId) => {
        const userId = await userOf(ctx, req);
        if (uploadId && !uploadId.startsWith(`${userId}.`)) throw tusError(new HaetaeError("not_found"));
      },
      onUploadCreate: async (req, upload) => {
        const userId = await userOf(ctx, req);
        try {
          await checkUpload(ctx, userId, upload.size);
        } catch (error) {
          throw tusError(error);
        }
        return {};
      },
      onUploadFinish: async (req, upload) => {
        const userId = await userOf(ctx, req);
        const path = upload.storage?.path ?? `${directory}/${upload.id}`;
        const started = performance.now();
        try {
          const staged = await ctx.blobs.stage(
            createReadStream(path),
            upload.size ?? 0,
            () => new HaetaeError("file_too_large"),
          );
          const file = await keepStaged(ctx, userId, staged, upload.metadata?.filename ?? undefined);
          traffic?.file("upload", userId, "ok", performance.now() - started);
          return { status_code: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ file }) };
        } catch (error) {
          traffic?.file("upload", userId, errorAnswer(error).error.code, performance.now() - started);
          throw tusError(error);
        } finally {
          await rm(path, { force: true });
          await rm(`${path}.json`, { force: true });
        }
      },
    });
    if (ttl > 0 && !closed) {
      // A cut upload that is never resumed must not hold its bytes on disk for ever.
      sweep = setInterval(
        () =>
          void tus.cleanUpExpiredUploads().catch((error: Error) => {
            console.warn(`haetae: removing expired resumable uploads failed (it runs again): ${error.message}`);
          }),
        Math.max(1000, Math.min(ttl, EXPIRY_SWEEP_MAX_MS)),
      );
      sweep.unref();
    }
    return tus;
  };
  return Object.assign(
    async (req: IncomingMessage, res: ServerResponse) => {
      server ??= start();
      await (await server).handle(req, res);
    },
    {
      /** Stop looking for expired uploads (the HTTP server closed). */
      close(): void {
        closed = true;
        clearInterval(sweep);
      },
    },
  );
}
