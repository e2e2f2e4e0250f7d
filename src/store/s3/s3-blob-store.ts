/** @module The S3-compatible blob store: blobs as objects `<prefix><sha256>` in one bucket (AWS S3, MinIO, Ceph, R2…), staged on local disk first. */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { BlobStore, ByteRange, StagedBlob } from "../blob-store.js";
import { DiskBlobStore } from "../disk/disk-blob-store.js";

const SHA256 = /^[0-9a-f]{64}$/;

/** Where the objects live and how to reach them. */
export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Prepended to every key (`haetae/`); empty for the bucket's root. */
  prefix?: string;
}

/**
 * Blobs in an S3-compatible bucket. Uploads are staged on local disk (hashed and fsync'd there,
 * as the disk store does: the hash names the object), then put with their length; `commit`
 * resolves when the store acknowledged the PUT, which S3 makes durable before it answers. A
 * blob already there is not sent again.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly staging: DiskBlobStore;
  private readonly prefix: string;

  constructor(
    private readonly settings: S3Settings,
    stagingRoot: string,
  ) {
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: true,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // Checksums only where an API requires them: S3-compatible servers differ in which they take.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    this.staging = new DiskBlobStore(stagingRoot);
    this.prefix = settings.prefix ?? "";
  }

  private key(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return `${this.prefix}${sha256}`;
  }

  clearStaging(): Promise<number> {
    return this.staging.clearStaging();
  }

  stage(source: Readable, maxBytes: number, onTooLarge: () => Error): Promise<StagedBlob> {
    return this.staging.stage(source, maxBytes, onTooLarge);
  }

  stageBuffer(bytes: Uint8Array): Promise<StagedBlob> {
    return this.staging.stageBuffer(bytes);
  }

  async commit(staged: StagedBlob): Promise<void> {
    if ((await this.size(staged.sha256)) === staged.size) return;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.key(staged.sha256),
        Body: createReadStream(staged.path),
        ContentLength: staged.size,
        ContentType: "application/octet-stream",
      }),
    );
  }

  async size(sha256: string): Promise<number | null> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.key(sha256) }),
      );
      return head.ContentLength ?? null;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error as Error).name === "NotFound" || (error as Error).name === "NoSuchKey") return null;
      throw error;
    }
  }

  read(sha256: string, range?: ByteRange): Readable {
    const out = new PassThrough();
    const key = this.key(sha256);
    this.client
      .send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      )
      .then((answer) => {
        const body = answer.Body as Readable | undefined;
        if (!body) return void out.destroy(new Error(`no body for ${key}`));
        body.on("error", (error) => out.destroy(error));
        body.pipe(out);
      })
      .catch((error: Error) => out.destroy(error));
    return out;
  }

  async delete(sha256: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(sha256) }));
  }

  close(): void {
    this.client.destroy();
  }
}
